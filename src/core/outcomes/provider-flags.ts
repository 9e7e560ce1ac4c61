/**
 * Providers' own word on an open or a click: SendGrid's `sg_machine_open`, Brevo's `proxy_open` (both
 * for prefetches such as Apple's) and Mailgun's `client-info.bot` ("apple", "gmail", "generic": the
 * last is the only provider flag for scanner opens, ../reference/nhi.md), which Mailgun gives on its
 * clicks too. A flagged provider open or click is recorded with one of these reasons, and compared
 * with mailsight's own verdict on the hit of the same kind (open or click) of the same message
 * nearest in time: the report counts, per reason and kind, how often the two agree.
 */

/** Every provider flag's reason starts so; the rest names the provider and its flag. */
export const PROVIDER_FLAG_PREFIX = 'provider:';

export const PROVIDER_FLAGS = {
  sendgridMachineOpen: 'provider:sendgrid-machine-open',
  brevoProxyOpen: 'provider:brevo-proxy-open',
  /** Mailgun's flag as a plain true, or a kind not worth a reason of its own. */
  mailgunBot: 'provider:mailgun-bot',
} as const;

/** Mailgun's kinds of bot kept in the reason (`provider:mailgun-bot-generic`); others are `provider:mailgun-bot`. */
const MAILGUN_BOT_KIND = /^[a-z0-9-]{1,24}$/;

/** The reason Mailgun's `client-info.bot` gives: null when it saw a person (empty or false) or says nothing. */
export function mailgunBotFlag(bot: string | boolean | null | undefined): string | null {
  if (bot === undefined || bot === null || bot === false || bot === '') return null;
  if (bot === true) return PROVIDER_FLAGS.mailgunBot;
  const kind = bot.trim().toLowerCase();
  return MAILGUN_BOT_KIND.test(kind) ? `${PROVIDER_FLAGS.mailgunBot}-${kind}` : PROVIDER_FLAGS.mailgunBot;
}

export function isProviderFlag(reason: string | null | undefined): reason is string {
  return typeof reason === 'string' && reason.startsWith(PROVIDER_FLAG_PREFIX);
}

/**
 * How far apart a provider's flagged open and mailsight's open hit may be to be the same open, ms.
 * Both pixels are in the same message and fetched by the same rendering, within seconds of each
 * other; SendGrid gives its time to the second, and the two clocks are two machines'. A reader's
 * next open of the same message comes minutes later, rarely within a minute. A click goes through
 * both redirects (the provider's wraps mailsight's) one after the other: the same window holds.
 */
export const PROVIDER_FLAG_MATCH_MS = 60_000;

/** What mailsight said of the open or click a provider flagged: machine or bot too, human, or no hit of that kind near it. */
export const PROVIDER_FLAG_OUTCOMES = ['agreed', 'disagreed', 'unmatched'] as const;
export type ProviderFlagOutcome = (typeof PROVIDER_FLAG_OUTCOMES)[number];

/** A provider open or click flagged with a reason. */
export interface FlaggedEvent {
  at: number;
  reason: string;
}

/** One of mailsight's own hits of the same kind (an open for a flagged open, a click for a flagged click). */
export interface JudgedHit {
  at: number;
  /** mailsight's verdict on the hit; null when it has none. */
  verdict: string | null;
}

/**
 * Each flagged provider event of one message paired with at most one of its hits of the same kind,
 * and what mailsight said of it: called once for opens against open hits, once for clicks against
 * click hits. The rule: flagged events in time order each take the nearest hit not taken yet within
 * PROVIDER_FLAG_MATCH_MS (the earlier on a tie); only hits judged machine, bot or human take part
 * (the sender's own hits and unjudged ones say nothing about the provider's flag). Agreed: mailsight
 * said machine or bot; disagreed: human; unmatched: no such hit.
 *
 * Clicks are paired by time alone, not by link: when mailsight tracks a message's clicks, the URL
 * the provider reports is the link as the provider was given it, mailsight's own click URL (the
 * provider's redirect wraps ours), whose link occurrence is inside a signed token; the tally reads
 * events by their stored columns only, without the provider's URL or the keyring. Two links of one
 * message clicked within a minute of each other may be paired crosswise; each flag still meets a
 * click of the same message at the same moment, which mailsight judged.
 */
export function compareProviderFlags(flagged: readonly FlaggedEvent[], hits: readonly JudgedHit[]): { reason: string; outcome: ProviderFlagOutcome }[] {
  const candidates = hits.filter((h) => h.verdict === 'machine' || h.verdict === 'bot' || h.verdict === 'human').sort((a, b) => a.at - b.at);
  const taken = new Set<number>();
  const ordered = [...flagged].sort((a, b) => a.at - b.at || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
  return ordered.map((flag) => {
    let best = -1;
    for (let i = 0; i < candidates.length; i++) {
      if (taken.has(i)) continue;
      const distance = Math.abs(candidates[i]!.at - flag.at);
      if (distance > PROVIDER_FLAG_MATCH_MS) continue;
      if (best < 0 || distance < Math.abs(candidates[best]!.at - flag.at)) best = i;
    }
    if (best < 0) return { reason: flag.reason, outcome: 'unmatched' };
    taken.add(best);
    return { reason: flag.reason, outcome: candidates[best]!.verdict === 'human' ? 'disagreed' : 'agreed' };
  });
}
