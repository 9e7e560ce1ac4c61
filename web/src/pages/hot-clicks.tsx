/**
 * Hot clicks: the execution's HTML as the recipient saw it, each link occurrence badged with its
 * share of clicks; for one execution or every execution of a recurring campaign, in the view of a
 * condition label or of one contact's blocks. The address holds the choices:
 * `?execution=<id>|all&scope=human|all&condition=<label>&contact=<id>&images=on|off`.
 */
import { useMemo, useRef, useState } from 'preact/hooks';
import { api, type CampaignHotClicks, type ExecutionHotClicks } from '../api.js';
import { annotateHotClicks, AnnotateError, shareText, type AnnotatedOccurrence, type ShareScope } from '../../../src/core/hot-clicks-annotate.js';
import type { PageProps } from '../page.js';
import { Link, setQuery } from '../router.js';
import { useResource } from '../use-resource.js';
import { count, dateTime } from '../format.js';
import { Empty, Failed, Loaded, Loading } from '../components/states.js';
import { HotClicksFrame } from '../components/hot-clicks-frame.js';
import { exportFramePng } from '../components/png-export.js';

/** One row of the table, and one badge when it has a place in the HTML. */
interface Occurrence extends AnnotatedOccurrence {
  text: string;
  condition: string | null;
  part: 'html' | 'text';
  /** Set for the occurrences of another execution than the one shown. */
  executionId?: number;
}

interface HotView {
  /** The execution whose HTML is shown (for every execution: the reference one). */
  executionId: number;
  html: string | null;
  occurrences: Occurrence[];
  /** Every condition label of the execution's links. */
  conditions: string[];
  /** The labels whose blocks show; null: every block. */
  shownConditions: string[] | null;
  shownShare: { human: number | null; all: number | null } | null;
  sharesOf: string;
  /** Occurrences of other executions matching none of the reference's (every-execution view): no badge. */
  unmatched: Occurrence[];
}

interface Selection {
  execution: number | 'all';
  condition: string | null;
  contact: number | null;
}

const occurrenceOf = (link: { ordinal: number; url: string; text: string; condition: string | null; part: 'html' | 'text'; position: Occurrence['position'] }, clicks: { total: { human: number; all: number } }, share: Occurrence['share']): Occurrence => ({
  ordinal: link.ordinal,
  url: link.url,
  text: link.text,
  condition: link.condition,
  part: link.part,
  position: link.position,
  clicks: { human: clicks.total.human, all: clicks.total.all },
  share,
});

async function loadView(campaignId: number, selection: Selection): Promise<HotView> {
  if (selection.execution === 'all') {
    const hot: CampaignHotClicks = await api.campaignHotClicks(campaignId);
    if (hot.referenceExecutionId === null) return { executionId: 0, html: null, occurrences: [], conditions: [], shownConditions: null, shownShare: null, sharesOf: hot.sharesOf, unmatched: [] };
    const reference = await api.execution(hot.referenceExecutionId);
    const occurrences = hot.links.map((l) => occurrenceOf(l.link, l.clicks, l.share));
    const conditions = [...new Set(occurrences.flatMap((o) => (o.condition === null ? [] : [o.condition])))];
    return { executionId: reference.id, html: reference.html, occurrences, conditions, shownConditions: null, shownShare: null, sharesOf: hot.sharesOf, unmatched: hot.unmatched.map((l) => ({ ...occurrenceOf(l.link, l.clicks, l.share), executionId: l.executionId })) };
  }
  const view = selection.condition !== null ? { condition: selection.condition } : selection.contact !== null ? { contact: selection.contact } : {};
  const [execution, hot] = await Promise.all([api.execution(selection.execution), api.executionHotClicks(selection.execution, view) as Promise<ExecutionHotClicks>]);
  return {
    executionId: execution.id,
    html: execution.html,
    occurrences: hot.links.map((l) => occurrenceOf(l, l.clicks, l.share)),
    conditions: hot.conditions,
    shownConditions: hot.view.conditions,
    shownShare: hot.shownShare,
    sharesOf: hot.sharesOf,
    unmatched: [],
  };
}

function selectionOf(query: URLSearchParams, latest: number): Selection {
  const execution = query.get('execution');
  const contact = Number(query.get('contact'));
  return {
    execution: execution === 'all' ? 'all' : Number(execution) > 0 ? Number(execution) : latest,
    condition: query.get('condition') || null,
    contact: Number.isInteger(contact) && contact > 0 ? contact : null,
  };
}

export function HotClicksPage({ route }: PageProps) {
  const campaignId = Number(route.params.id);
  const report = useResource(() => api.campaignReport(campaignId), [campaignId]);
  return (
    <section aria-labelledby="hot-title">
      <p class="breadcrumb">
        <Link href={`/campaigns/${campaignId}`}>← {report.data ? report.data.campaign.name : `Campaign ${campaignId}`}</Link>
      </p>
      <h1 id="hot-title">Hot clicks</h1>
      <Loaded resource={report} what="the campaign">
        {(data) => {
          const executions = data.executions.map((e) => e.execution).sort((a, b) => a.createdAt - b.createdAt);
          const latest = executions.at(-1);
          if (!latest) return <Empty>This campaign has no execution yet: nothing was sent, so there is nothing to show.</Empty>;
          const selection = selectionOf(route.query, latest.id);
          // An execution from the address must be this campaign's: another's would show under this name.
          if (selection.execution !== 'all' && !executions.some((x) => x.id === selection.execution)) {
            return (
              <>
                <Failed error={new Error(`Execution #${selection.execution} is not an execution of the campaign “${data.campaign.name}”.`)} />
                <p>
                  <Link href={`/campaigns/${campaignId}/hot-clicks`}>See the hot clicks of this campaign's latest execution</Link>
                </p>
              </>
            );
          }
          return <HotClicks campaignId={campaignId} executions={executions} selection={selection} query={route.query} />;
        }}
      </Loaded>
    </section>
  );
}

interface HotClicksProps {
  campaignId: number;
  executions: { id: number; subject: string; createdAt: number }[];
  selection: Selection;
  query: URLSearchParams;
}

function HotClicks({ campaignId, executions, selection, query }: HotClicksProps) {
  const scope: ShareScope = query.get('scope') === 'all' ? 'all' : 'human';
  const images = query.get('images') === 'on';
  const view = useResource(() => loadView(campaignId, selection), [campaignId, selection.execution, selection.condition, selection.contact]);
  const frame = useRef<HTMLIFrameElement | null>(null);
  const [exporting, setExporting] = useState<{ state: 'idle' | 'busy' | 'done' } | { state: 'failed'; message: string }>({ state: 'idle' });

  const data = view.data;
  const annotated = useMemo(() => {
    if (!data || data.html === null) return null;
    try {
      return { doc: annotateHotClicks(data.html, data.occurrences, { scope, remoteImages: images, shownConditions: data.shownConditions }), error: null };
    } catch (error) {
      if (error instanceof AnnotateError) return { doc: null, error };
      throw error;
    }
  }, [data, scope, images]);

  const exportPng = async () => {
    if (!frame.current || !data) return;
    setExporting({ state: 'busy' });
    try {
      await exportFramePng(frame.current, `hot-clicks-${selection.execution === 'all' ? 'all' : data.executionId}.png`);
      setExporting({ state: 'done' });
    } catch (error) {
      setExporting({ state: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  };

  const all = selection.execution === 'all';
  return (
    <>
      <form class="inline hot-controls phone-stack" onSubmit={(event) => event.preventDefault()} aria-label="What to show">
        <label>
          Execution
          <select
            value={String(selection.execution)}
            onChange={(event) => setQuery({ execution: event.currentTarget.value, ...(event.currentTarget.value === 'all' ? { condition: null, contact: null } : {}) })}
          >
            {[...executions].reverse().map((e) => (
              <option key={e.id} value={String(e.id)}>
                {dateTime(e.createdAt)}: {e.subject}
              </option>
            ))}
            {(executions.length > 1 || selection.execution === 'all') && <option value="all">All executions (combined)</option>}
          </select>
        </label>
        <label>
          Blocks shown
          <select
            value={selection.condition ?? (selection.contact !== null ? '#contact' : '')}
            disabled={all}
            onChange={(event) => {
              const value = event.currentTarget.value;
              if (value === '#contact') return;
              setQuery({ condition: value || null, contact: null });
            }}
          >
            <option value="">Every block</option>
            {(data?.conditions ?? (selection.condition ? [selection.condition] : [])).map((label) => (
              <option key={label} value={label}>
                Condition “{label}”
              </option>
            ))}
            {selection.contact !== null && <option value="#contact">Contact {selection.contact}'s blocks</option>}
          </select>
        </label>
        <ContactChooser contact={selection.contact} disabled={all} />
        <div class="field">
          <span class="field-label" id="hot-scope-label">
            Share of
          </span>
          <div class="toggle" role="group" aria-labelledby="hot-scope-label">
            <button type="button" aria-pressed={scope === 'human'} onClick={() => setQuery({ scope: null })}>
              Human clicks
            </button>
            <button type="button" aria-pressed={scope === 'all'} onClick={() => setQuery({ scope: 'all' })}>
              All clicks
            </button>
          </div>
        </div>
        <label class="check">
          <input type="checkbox" checked={images} onChange={(event) => setQuery({ images: event.currentTarget.checked ? 'on' : null })} />
          Show remote images
        </label>
      </form>
      {all && <p class="muted">Every execution's clicks, matched to the links of the latest one (whose HTML is shown). Conditions and contacts are chosen per execution.</p>}

      {view.state === 'error' ? (
        <Failed error={view.error} retry={view.reload} />
      ) : !data ? (
        <Loading what="the message and its clicks" />
      ) : (
        <>
          <p class="hot-summary">
            Shares are fractions of the {data.sharesOf}.
            {data.shownShare && (
              <>
                {' '}
                The links shown account for <strong>{shareText(data.shownShare[scope])}</strong> of {scope === 'human' ? 'human' : 'all'} clicks.
              </>
            )}
            {data.unmatched.length > 0 && <> {count(data.unmatched.length)} links of earlier executions match none of the latest's and have no badge (they are listed below).</>}
          </p>
          {data.html === null ? (
            <Empty>This execution has no HTML part: its links are listed below.</Empty>
          ) : annotated?.error ? (
            <Failed error={annotated.error} retry={view.reload} />
          ) : (
            annotated?.doc && (
              <div class="hot-stage">
                <div class="hot-actions">
                  <button type="button" class="secondary" onClick={() => void exportPng()} disabled={exporting.state === 'busy'}>
                    {exporting.state === 'busy' ? 'Exporting…' : 'Export PNG'}
                  </button>
                  <span role="status" class={exporting.state === 'failed' ? 'error' : 'muted'}>
                    {exporting.state === 'failed' ? `The export failed: ${exporting.message}` : exporting.state === 'done' ? 'PNG saved.' : ''}
                  </span>
                  <span class="muted">{images ? 'Remote images are shown here but left out of the PNG (an exported picture loads nothing from the network).' : 'Remote images are blocked (switch above); the PNG has the same.'}</span>
                </div>
                <HotClicksFrame doc={annotated.doc} title="The message as recipients saw it, with each link's share of clicks" frameRef={frame} />
              </div>
            )
          )}
          <OccurrenceTable occurrences={data.occurrences} scope={scope} caption={`Link occurrences shown, with their share of ${scope === 'human' ? 'human' : 'all'} clicks`} />
          {data.unmatched.length > 0 && (
            <OccurrenceTable occurrences={data.unmatched} scope={scope} caption="Links of earlier executions that match none of the latest's (not in the message above)" />
          )}
        </>
      )}
    </>
  );
}

function ContactChooser({ contact, disabled }: { contact: number | null; disabled: boolean }) {
  const [value, setValue] = useState(contact === null ? '' : String(contact));
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (event: Event) => {
    event.preventDefault();
    const id = Number(value.trim());
    if (value.trim() === '') return setQuery({ contact: null });
    if (!Number.isInteger(id) || id <= 0) return setProblem('A contact id is a whole number from 1.');
    setProblem(null);
    setQuery({ contact: String(id), condition: null });
  };
  return (
    <div class="field contact-chooser">
      <label for="hot-contact">Or a contact's blocks (contact id)</label>
      <div class="row">
        <input
          id="hot-contact"
          inputMode="numeric"
          value={value}
          disabled={disabled}
          aria-invalid={problem !== null}
          aria-describedby={problem ? 'hot-contact-problem' : undefined}
          onInput={(event) => setValue(event.currentTarget.value)}
          onKeyDown={(event) => event.key === 'Enter' && submit(event)}
          size={8}
        />
        <button type="button" class="secondary" disabled={disabled} onClick={submit}>
          Show
        </button>
      </div>
      {problem && (
        <span id="hot-contact-problem" class="error">
          {problem}
        </span>
      )}
    </div>
  );
}

function OccurrenceTable({ occurrences, scope, caption }: { occurrences: Occurrence[]; scope: ShareScope; caption: string }) {
  if (occurrences.length === 0) return <Empty>No link occurrence in this view.</Empty>;
  return (
    <div class="table-scroll">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col" class="num">
              #
            </th>
            <th scope="col">Text</th>
            <th scope="col">URL</th>
            <th scope="col">Condition</th>
            <th scope="col" class="num">
              Share
            </th>
            <th scope="col" class="num">
              Human clicks
            </th>
            <th scope="col" class="num">
              All clicks
            </th>
          </tr>
        </thead>
        <tbody>
          {occurrences.map((o) => (
            <tr key={`${o.executionId ?? ''}:${o.ordinal}`}>
              <td class="num">{o.executionId === undefined ? o.ordinal : `${o.ordinal} (execution ${o.executionId})`}</td>
              <td>
                {o.text || <span class="muted">(no text)</span>}
                {o.part === 'text' && <span class="muted"> (text part)</span>}
              </td>
              <td class="url">{o.url}</td>
              <td>{o.condition ?? <span class="muted">always</span>}</td>
              <td class="num">{shareText(o.share[scope])}</td>
              <td class="num">{count(o.clicks.human)}</td>
              <td class="num">{count(o.clicks.all)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
