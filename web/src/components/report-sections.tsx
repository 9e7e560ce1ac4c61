/** The parts of a campaign report below its funnel: warnings, hits not counted as human, reasons, providers, links. */
import type { CampaignReport } from '../api.js';
import { count, dateTime, percent } from '../format.js';
import { Link } from '../router.js';
import { DrillNumber } from './funnel.js';
import { ScrollTable } from './scroll-table.js';
import type { Scope } from './series-chart.js';

export function Warnings({ warnings }: { warnings: CampaignReport['warnings'] }) {
  if (warnings.length === 0) return null;
  return (
    <section aria-labelledby="warnings-title">
      <h2 id="warnings-title">Warnings</h2>
      {warnings.map((w) => (
        <div key={w.code} class={`warning ${w.level}`}>
          <p>
            <strong class="level">{w.level === 'critical' ? 'Critical' : w.level[0]!.toUpperCase() + w.level.slice(1)}:</strong> {w.message}
          </p>
          <p>
            <strong>What to do:</strong> {w.action}
          </p>
        </div>
      ))}
    </section>
  );
}

const VERDICT_WORDS: Record<string, string> = { machine: 'Machine', bot: 'Bot', self: 'Self' };

/** Machine and bot hits: one sentence each (the report's own), and the reasons their verdicts gave. */
export function NonHuman({ report }: { report: CampaignReport }) {
  const shown = report.nonHuman.filter((n) => n.hits > 0);
  return (
    <section aria-labelledby="non-human-title">
      <h2 id="non-human-title">Not counted as human</h2>
      {report.nonHumanSummary.length === 0 ? (
        <p class="muted">Every open and click was counted as a person's.</p>
      ) : (
        <ul class="sentences">
          {report.nonHumanSummary.map((sentence) => (
            <li key={sentence}>{sentence}</li>
          ))}
        </ul>
      )}
      {shown.length > 0 && (
        <ScrollTable label="Hits not counted as human, by reason">
          <table>
            <caption>Hits not counted as human, by verdict and reason</caption>
            <thead>
              <tr>
                <th scope="col">Hits</th>
                <th scope="col">Verdict</th>
                <th scope="col">Reason</th>
                <th scope="col" class="num">
                  Count
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.flatMap((n) =>
                n.byReason.map((r) => (
                  <tr key={`${n.series}-${n.verdict}-${r.reason}`}>
                    <td>{n.series}</td>
                    <td>{VERDICT_WORDS[n.verdict] ?? n.verdict}</td>
                    <td>
                      <code>{r.reason}</code>
                    </td>
                    <td class="num">{count(r.hits)}</td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
        </ScrollTable>
      )}
      {report.providerFlags.length > 0 && (
        <>
          <h3>What the sending provider flagged</h3>
          <ul class="sentences">
            {report.providerFlagSummary.map((sentence) => (
              <li key={sentence}>{sentence}</li>
            ))}
          </ul>
          <ScrollTable label="Provider flags against mailsight's verdicts">
            <table>
              <caption class="visually-hidden">Opens and clicks the provider flagged as a machine or a bot, against mailsight's verdict on the same open or click</caption>
              <thead>
                <tr>
                  <th scope="col">Flag</th>
                  <th scope="col">Flagged on</th>
                  <th scope="col" class="num">Flagged</th>
                  <th scope="col" class="num">Agreed</th>
                  <th scope="col" class="num">Disagreed (mailsight: human)</th>
                  <th scope="col" class="num">No matching hit</th>
                </tr>
              </thead>
              <tbody>
                {report.providerFlags.map((f) => (
                  <tr key={`${f.series}-${f.reason}`}>
                    <td>
                      <code>{f.reason}</code>
                    </td>
                    <td>{f.series}</td>
                    <td class="num">{count(f.flagged)}</td>
                    <td class="num">{count(f.agreed)}</td>
                    <td class="num">{count(f.disagreed)}</td>
                    <td class="num">{count(f.unmatched)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollTable>
        </>
      )}
    </section>
  );
}

/** Bounced or blocked messages by the reason they are counted under, each a link to its contacts. */
export function ByReason({ report, kind, context }: { report: CampaignReport; kind: 'bounced' | 'blocked'; context: string }) {
  const byReason = kind === 'bounced' ? report.totals.bouncesByReason : report.totals.blockedByReason;
  const rows = Object.entries(byReason).sort((a, b) => b[1] - a[1]);
  const title = kind === 'bounced' ? 'Bounces by reason' : 'Blocked by reason';
  return (
    <div class="by-reason">
      <h3>{title}</h3>
      {rows.length === 0 ? (
        <p class="muted">{kind === 'bounced' ? 'No bounce.' : 'Nothing blocked.'}</p>
      ) : (
        <ScrollTable label={title}>
          <table>
            <caption class="visually-hidden">{title}</caption>
            <thead>
              <tr>
                <th scope="col">Reason</th>
                <th scope="col" class="num">
                  Messages
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map(([reason, n]) => (
                <tr key={reason}>
                  <td>{reason}</td>
                  <td class="num">
                    <DrillNumber path={report.lists[`${kind}:${reason}`]} label={`${kind} (${reason}), ${context}`}>
                      {count(n)}
                    </DrillNumber>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}
    </div>
  );
}

export function Providers({ report, scope }: { report: CampaignReport; scope: Scope }) {
  const human = scope === 'human';
  return (
    <section aria-labelledby="providers-title">
      <h2 id="providers-title">Mailbox providers</h2>
      {report.providers.length === 0 ? (
        <p class="muted">No message yet.</p>
      ) : (
        <ScrollTable label="Figures by mailbox provider">
          <table>
            <caption class="visually-hidden">By mailbox provider ({human ? 'human hits' : 'all hits'})</caption>
            <thead>
              <tr>
                <th scope="col">Provider</th>
                <th scope="col" class="num">Messages</th>
                <th scope="col" class="num">Delivered</th>
                <th scope="col" class="num">Bounced</th>
                <th scope="col" class="num">Complained</th>
                <th scope="col" class="num">Opened{human ? ' (human)' : ''}</th>
                <th scope="col" class="num">Clicked{human ? ' (human)' : ''}</th>
              </tr>
            </thead>
            <tbody>
              {report.providers.map((p) => (
                <tr key={p.provider}>
                  <th scope="row">{p.provider}</th>
                  <td class="num">{count(p.messages)}</td>
                  <td class="num">
                    {count(p.delivered)} <span class="muted">{percent(p.deliveryRate)}</span>
                  </td>
                  <td class="num">
                    {count(p.bounced)} <span class="muted">{percent(p.bounceRate)}</span>
                  </td>
                  <td class="num">
                    {count(p.complained)} <span class="muted">{percent(p.complaintRate)}</span>
                  </td>
                  <td class="num">
                    {count(human ? p.humanUniqueOpens : p.uniqueOpens)} <span class="muted">{percent(human ? p.humanOpenRate : p.openRate)}</span>
                  </td>
                  <td class="num">
                    {count(human ? p.humanUniqueClicks : p.uniqueClicks)} <span class="muted">{percent(human ? p.humanClickRate : p.clickRate)}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}
    </section>
  );
}

/** A link occurrence's list in a scope: the report names the all-hits one; the human one adds its scope. */
const linkList = (list: string, scope: Scope) => (scope === 'human' ? `${list}&scope=human` : list);

/** One link occurrence's row; `which` names it in its links' labels ("link 3", "link 3 of execution 2"). */
function LinkRow({ link: l, which, context }: { link: CampaignReport['links'][number]; which: string; context: string }) {
  return (
    <tr>
      <td class="num">{l.ordinal}</td>
      <td class="link-cell">
        <span class="text">{l.text || '(no text)'}</span> <span class="muted">({l.part})</span>
        <br />
        <span class="url">{l.url}</span>
      </td>
      <td>{l.condition ?? <span class="muted">always shown</span>}</td>
      <td class="num">
        <DrillNumber path={linkList(l.list, 'human')} label={`clicked ${which} (human), ${context}`}>
          {count(l.byVerdict.human.uniqueClicks)}
        </DrillNumber>{' '}
        <span class="muted">/ {count(l.byVerdict.human.totalClicks)}</span>
      </td>
      <td class="num">
        <DrillNumber path={linkList(l.list, 'all')} label={`clicked ${which}, ${context}`}>
          {count(l.uniqueClicks)}
        </DrillNumber>{' '}
        <span class="muted">/ {count(l.totalClicks)}</span>
      </td>
    </tr>
  );
}

export function Links({ report, hotClicksHref, context }: { report: CampaignReport; hotClicksHref: string; context: string }) {
  // Every execution added up: ordinals start at 1 in each, so the rows come in one group per
  // execution, headed by its number, date and subject.
  const groups = new Map<number, CampaignReport['links']>();
  for (const l of report.links) groups.set(l.executionId, [...(groups.get(l.executionId) ?? []), l]);
  const aggregated = report.execution === null && groups.size > 1;
  const executionOf = new Map(report.executions.map(({ execution: x }) => [x.id, x]));
  return (
    <section aria-labelledby="links-title">
      <h2 id="links-title">Links</h2>
      <p>
        <Link href={hotClicksHref}>See where people clicked in the message (hot clicks)</Link>
      </p>
      {report.links.length === 0 ? (
        <p class="muted">The message has no tracked link.</p>
      ) : (
        <ScrollTable label="Links and their clicks">
          <table class="links">
            <caption class="visually-hidden">Link occurrences and their unique clicks, human and all hits{aggregated ? ', execution by execution' : ''}</caption>
            <thead>
              <tr>
                <th scope="col" class="num">#</th>
                <th scope="col">Link</th>
                <th scope="col">Condition</th>
                <th scope="col" class="num">Clicked (human)</th>
                <th scope="col" class="num">Clicked (all)</th>
              </tr>
            </thead>
            {[...groups].map(([executionId, links]) => {
              const execution = executionOf.get(executionId);
              return (
                <tbody key={executionId}>
                  {aggregated && (
                    <tr class="group">
                      <th scope="rowgroup" colSpan={5}>
                        Execution #{executionId}
                        {execution && `, ${dateTime(execution.createdAt)}: ${execution.subject}`}
                      </th>
                    </tr>
                  )}
                  {links.map((l) => (
                    <LinkRow key={l.ordinal} link={l} which={aggregated ? `link ${l.ordinal} of execution ${executionId}` : `link ${l.ordinal}`} context={context} />
                  ))}
                </tbody>
              );
            })}
          </table>
          <p class="muted table-note">Messages that clicked / clicks in all.</p>
        </ScrollTable>
      )}
    </section>
  );
}
