/**
 * Every campaign with its key figures, newest first (GET /api/campaigns/overview, one call):
 * executions, when the last one was created, sent, delivered, and the human open and click rates with the all-hits
 * ones beside them. Filterable by name and kind; the filter lives in the address.
 */
import { api, type CampaignOverview } from '../api.js';
import { count, dateTime, percent } from '../format.js';
import type { PageProps } from '../page.js';
import { Link, setQuery } from '../router.js';
import { useResource } from '../use-resource.js';
import { ScrollTable } from '../components/scroll-table.js';
import { Empty, Loaded } from '../components/states.js';

type Entry = CampaignOverview['campaigns'][number];

function Rates({ human, all }: { human: number | null; all: number | null }) {
  return (
    <>
      <span class="rate-human">{percent(human)}</span> <span class="rate-all">all {percent(all)}</span>
    </>
  );
}

function WarningMarker({ warnings }: { warnings: Entry['warnings'] }) {
  if (warnings.length === 0) return <span class="muted">none</span>;
  const worst = warnings.some((w) => w.level === 'critical') ? 'critical' : warnings[0]!.level;
  return (
    <span class={`marker ${worst}`} title={warnings.map((w) => w.message).join('\n')}>
      ⚠ {warnings.length} {worst}
    </span>
  );
}

function CampaignRow({ entry }: { entry: Entry }) {
  const { campaign: c, totals: t } = entry;
  return (
    <tr>
      <th scope="row">
        <Link href={`/campaigns/${c.id}`}>{c.name}</Link>
      </th>
      <td>{c.kind}</td>
      <td class="num">{count(entry.executions)}</td>
      <td>{dateTime(entry.lastExecutionAt)}</td>
      <td class="num">{count(t.sent)}</td>
      <td class="num">
        {count(t.delivered)} <span class="muted">{percent(entry.rates.deliveryRate)}</span>
      </td>
      <td class="num">
        <Rates human={entry.humanRates.openRate} all={entry.rates.openRate} />
      </td>
      <td class="num">
        <Rates human={entry.humanRates.clickRate} all={entry.rates.clickRate} />
      </td>
      <td>
        <WarningMarker warnings={entry.warnings} />
      </td>
    </tr>
  );
}

function NoCampaign() {
  return (
    <Empty>
      No campaign yet. Create one with the API (<code>POST /api/campaigns</code>, then an execution and its messages; see{' '}
      <a href="/api/openapi.json">the API description</a>), or run <code>npm run demo</code> for a demo campaign with data.
    </Empty>
  );
}

export function CampaignsPage({ route }: PageProps) {
  const overview = useResource(() => api.campaignOverview(), []);
  const name = route.query.get('name') ?? '';
  const kind = route.query.get('kind') ?? '';
  return (
    <section aria-labelledby="campaigns-title">
      <h1 id="campaigns-title">Campaigns</h1>
      <Loaded resource={overview} what="the campaigns">
        {(data) => {
          if (data.campaigns.length === 0) return <NoCampaign />;
          const needle = name.trim().toLowerCase();
          // The kinds there are campaigns of, so the filter never offers an empty choice.
          const kinds = [...new Set(data.campaigns.map((e) => e.campaign.kind))].sort();
          const shown = data.campaigns.filter((e) => (!needle || e.campaign.name.toLowerCase().includes(needle)) && (!kind || e.campaign.kind === kind));
          return (
            <>
              <form class="inline filters" role="search" aria-label="Filter campaigns" onSubmit={(e) => e.preventDefault()}>
                <div class="control">
                  <label for="campaign-name">Name contains</label>
                  <input id="campaign-name" type="search" value={name} onInput={(e) => setQuery({ name: (e.currentTarget as HTMLInputElement).value || null })} autocomplete="off" />
                </div>
                <div class="control">
                  <label for="campaign-kind">Kind</label>
                  <select id="campaign-kind" value={kind} onChange={(e) => setQuery({ kind: (e.currentTarget as HTMLSelectElement).value || null })}>
                    <option value="">Any</option>
                    {kinds.map((k) => (
                      <option key={k} value={k}>
                        {k}
                      </option>
                    ))}
                  </select>
                </div>
              </form>
              <p role="status" aria-live="polite" class="muted">
                {shown.length === data.campaigns.length ? `${count(shown.length)} campaigns` : `${count(shown.length)} of ${count(data.campaigns.length)} campaigns match`}
              </p>
              {shown.length === 0 ? (
                <Empty>No campaign matches this filter.</Empty>
              ) : (
                <ScrollTable label="Campaigns and their key figures">
                  <table class="campaigns">
                    <caption class="visually-hidden">Campaigns, newest first, with their key figures; open and click rates count human hits, all hits beside them</caption>
                    <thead>
                      <tr>
                        <th scope="col">Campaign</th>
                        <th scope="col">Kind</th>
                        <th scope="col" class="num">Executions</th>
                        <th scope="col">Last execution</th>
                        <th scope="col" class="num">Sent</th>
                        <th scope="col" class="num">Delivered</th>
                        <th scope="col" class="num">Opened (human)</th>
                        <th scope="col" class="num">Clicked (human)</th>
                        <th scope="col">Warnings</th>
                      </tr>
                    </thead>
                    <tbody>
                      {shown.map((e) => (
                        <CampaignRow key={e.campaign.id} entry={e} />
                      ))}
                    </tbody>
                  </table>
                </ScrollTable>
              )}
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
