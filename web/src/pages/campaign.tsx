/**
 * A campaign's report: every execution added up, or one of them; engagement counted from human hits
 * (the default) or from all; the funnel, what was not counted as human and why, the warnings, the
 * hits over time, bounces and blocks by reason, mailbox providers, links, and human hits live.
 * The choices live in the address (?execution=&scope=&period=), so a view can be shared.
 */
import { api, withQuery, type CampaignReport } from '../api.js';
import { campaignLivePath } from '../api-live.js';
import { count, dateTime } from '../format.js';
import type { PageProps } from '../page.js';
import { setQuery } from '../router.js';
import { useResource } from '../use-resource.js';
import { Funnel } from '../components/funnel.js';
import { LiveHits } from '../components/live-hits.js';
import { useLiveFeed, useThrottled } from '../components/live-feed.js';
import { ByReason, Links, NonHuman, Providers, Warnings } from '../components/report-sections.js';
import { SeriesChart, type Resolution, type Scope } from '../components/series-chart.js';
import { Failed, Loaded, Loading, Stale } from '../components/states.js';

/** A live hit reloads the report at most this often, in ms: figures stay current without a request per hit. */
const RELOAD_EVERY_MS = 5_000;

function Toggle<T extends string>({ label, value, options, onChange }: { label: string; value: T; options: readonly { value: T; text: string }[]; onChange: (v: T) => void }) {
  // aria-labelledby takes a list of ids separated by spaces: the label's id must have none.
  const labelId = `toggle-${label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <div class="control">
      <span class="control-label" id={labelId}>
        {label}
      </span>
      <div class="toggle" role="group" aria-labelledby={labelId}>
        {options.map((o) => (
          <button key={o.value} type="button" aria-pressed={o.value === value} onClick={() => onChange(o.value)}>
            {o.text}
          </button>
        ))}
      </div>
    </div>
  );
}

const SCOPES = [
  { value: 'human', text: 'Human' },
  { value: 'all', text: 'All hits' },
] as const;
const RESOLUTIONS = [
  { value: 'hourly', text: 'Per hour' },
  { value: 'daily', text: 'Per day' },
] as const;

function ExecutionChooser({ executions, value }: { executions: CampaignReport['executions']; value: number | null }) {
  return (
    <div class="control">
      <label for="execution-chooser">Execution</label>
      <select id="execution-chooser" value={value === null ? '' : String(value)} onChange={(e) => setQuery({ execution: (e.currentTarget as HTMLSelectElement).value || null })}>
          <option value="">All executions ({count(executions.length)})</option>
          {executions.map(({ execution: x }) => (
            <option key={x.id} value={String(x.id)}>
              #{x.id} {dateTime(x.createdAt)}: {x.subject}
            </option>
        ))}
      </select>
    </div>
  );
}

function ReportView({ report, campaignId, executionId, scope, resolution }: { report: CampaignReport; campaignId: number; executionId: number | null; scope: Scope; resolution: Resolution }) {
  const context = report.execution ? `${report.campaign.name}, execution ${report.execution.id}` : report.campaign.name;
  const periods = report.timeline[resolution];
  // All executions' view: all executions' hot clicks (the hot-clicks page alone defaults to the latest).
  const hotClicks = withQuery(`/campaigns/${campaignId}/hot-clicks`, { execution: executionId ?? (report.executions.length > 1 ? 'all' : null) });
  return (
    <>
      <Warnings warnings={report.warnings} />
      <section aria-labelledby="funnel-title">
        <h2 id="funnel-title">Funnel {scope === 'human' ? '(human hits)' : '(all hits)'}</h2>
        <Funnel report={report} scope={scope} context={context} />
      </section>
      <NonHuman report={report} />
      <section aria-labelledby="series-title">
        <div class="section-head">
          <h2 id="series-title">Opens and clicks {resolution === 'hourly' ? 'per hour' : 'per day'}</h2>
          <Toggle label="Period" value={resolution} options={RESOLUTIONS} onChange={(v) => setQuery({ period: v === 'hourly' ? null : v })} />
        </div>
        {resolution === 'hourly' && report.timeline.hourly.length > 0 && report.timeline.hourly.length >= report.timeline.hourlyLimit && (
          <p class="muted">The first {count(report.timeline.hourlyLimit)} hours; per day covers the whole span.</p>
        )}
        <SeriesChart periods={periods} scope={scope} resolution={resolution} label={`${scope === 'human' ? 'Human opens' : 'Opens'} and clicks ${resolution === 'hourly' ? 'per hour' : 'per day'}`} />
      </section>
      <section aria-labelledby="reasons-title">
        <h2 id="reasons-title">Bounces and blocks</h2>
        <div class="two-columns">
          <ByReason report={report} kind="bounced" context={context} />
          <ByReason report={report} kind="blocked" context={context} />
        </div>
      </section>
      <Providers report={report} scope={scope} />
      <Links report={report} hotClicksHref={hotClicks} context={context} />
    </>
  );
}

export function CampaignPage({ route }: PageProps) {
  const campaignId = Number(route.params.id);
  const executionParam = route.query.get('execution');
  const executionId = executionParam && /^[1-9][0-9]*$/.test(executionParam) ? Number(executionParam) : null;
  const scope: Scope = route.query.get('scope') === 'all' ? 'all' : 'human';
  const resolution: Resolution = route.query.get('period') === 'daily' ? 'daily' : 'hourly';

  // The campaign's report names its executions (for the chooser) and is the "all executions" view.
  const campaign = useResource(() => api.campaignReport(campaignId), [campaignId]);
  const execution = useResource(() => (executionId === null ? Promise.resolve(null) : api.executionReport(executionId)), [executionId]);
  const reload = useThrottled(() => {
    campaign.reload();
    if (executionId !== null) execution.reload();
  }, RELOAD_EVERY_MS);
  const live = useLiveFeed(Number.isInteger(campaignId) && campaignId > 0 ? campaignLivePath(campaignId) : null, reload);

  if (!Number.isInteger(campaignId) || campaignId < 1) return <Failed error={new Error(`"${route.params.id}" is not a campaign number.`)} />;

  return (
    <>
      {campaign.data === null && <h1>Campaign #{campaignId}</h1>}
      <Loaded resource={campaign} what="the campaign's report">
        {(all) => {
          // An execution's report is shown only once it is the chosen one's (not the previous choice's while loading).
          const shown = executionId === null ? all : execution.data?.execution?.id === executionId ? execution.data : null;
          return (
            <>
              <header class="page-head">
                <h1>{all.campaign.name}</h1>
                <p class="muted">
                  <span class="badge">{all.campaign.kind}</span> campaign #{all.campaign.id}, created {dateTime(all.campaign.createdAt)}
                  {shown?.execution && (
                    <>
                      {' '}
                      · showing execution #{shown.execution.id}, “{shown.execution.subject}”, {dateTime(shown.execution.createdAt)}
                    </>
                  )}
                </p>
                <div class="controls">
                  <ExecutionChooser executions={all.executions} value={executionId} />
                  <Toggle label="Count hits from" value={scope} options={SCOPES} onChange={(v) => setQuery({ scope: v === 'human' ? null : v })} />
                </div>
              </header>
              {executionId !== null && execution.state === 'error' ? (
                <Failed error={execution.error} retry={execution.reload} />
              ) : shown ? (
                <>
                  {/* The campaign's own refresh failing shows in Loaded above; the chosen execution's shows here. */}
                  {executionId !== null && execution.reloadError && <Stale error={execution.reloadError} retry={execution.reload} />}
                  <ReportView report={shown} campaignId={campaignId} executionId={executionId} scope={scope} resolution={resolution} />
                </>
              ) : (
                <Loading what="the execution's report" />
              )}
              <LiveHits feed={live} title="Live: human opens and clicks" />
            </>
          );
        }}
      </Loaded>
    </>
  );
}
