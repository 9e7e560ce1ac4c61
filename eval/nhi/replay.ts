/**
 * Replays scenarios through the real server: every message's send, delivery and hits merged into
 * one timeline, the server's clock set before each step, then the verdicts read back through the
 * API and matched to the replayed hits one by one.
 */
import { z } from 'zod';
import { HIT_EVENTS, MAX_KEPT_HEADER_LENGTH } from '../../src/core/events.js';
import { parseIp } from './cidr.js';
import { BrokenServerError, startEvalServer, type EvalServer } from './eval-server.js';
import { VERDICTS, type HitKind, type Scenario, type ScenarioHit, type Verdict } from './scenario-schema.js';

/** Scenario time 0: a Monday, 09:00 UTC. */
export const DEFAULT_BASE_TIME = Date.UTC(2026, 0, 5, 9);
/**
 * How far the clock moves past the last step before verdicts are read: verdicts can be revised by
 * later evidence, and pending revisions settle after a quiet period.
 */
export const SETTLE_AFTER_MS = 15 * 60 * 1000;

export interface ReplayOptions {
  selfNetworks: readonly string[];
  /** Epoch ms of scenario time 0. */
  baseTime?: number;
  warn?: (message: string) => void;
  /** Where the server classifies and writes hits (HIT_WRITER): its own thread by default. */
  hitWriter?: 'thread' | 'inline';
}

export interface HitResult {
  message: string;
  campaign: string;
  hit: ScenarioHit;
  sentAt: number;
  deliveredAt: number | null;
  verdict: Verdict;
  reasons: string[];
}

export interface UnexpectedStatus {
  message: string;
  hitIndex: number;
  kind: HitKind;
  method: string;
  status: number;
  expected: number;
}

export interface ReplayResult {
  hits: HitResult[];
  unexpected: UnexpectedStatus[];
  /** Hit events the server returned without a verdict (counted as human). */
  missingVerdicts: number;
  requests: number;
  /** Wall time of the timeline (sends, deliveries, hits), and of the whole run. */
  timelineMs: number;
  totalMs: number;
  /** Wall time spent in the timeline's steps by kind: message creation, delivery reports, tracking hits. */
  stepMs: Record<'create' | 'delivery' | 'hit', number>;
}

const CreatedId = z.object({ id: z.number().int() });
const CreatedMessage = z.object({
  id: z.number().int(),
  html: z.string(),
  links: z.array(z.object({ ordinal: z.number().int(), tracked: z.string() })),
  honeypotUrl: z.string().nullable(),
  unsubscribeUrl: z.string().nullable(),
});
const MessageView = z.object({
  events: z.array(
    z.object({
      id: z.number(),
      type: z.string(),
      at: z.number(),
      hit: z.object({ method: z.string(), ip: z.string().nullable(), userAgent: z.string().nullable(), linkOrdinal: z.number().nullable() }).nullish(),
      verdict: z.enum(VERDICTS).nullish(),
      reasons: z.array(z.string()).nullish(),
    }),
  ),
});
type ViewEvent = z.output<typeof MessageView>['events'][number];

function parseResponse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).slice(0, 5);
  throw new BrokenServerError(`unexpected ${what} response: ${issues.join('; ')}`);
}

// The scenario format spells the unsubscribe page's kind with a hyphen; the event types are the server's.
const EVENT_TYPE: Record<HitKind, string> = { open: HIT_EVENTS.open.type, click: HIT_EVENTS.click.type, 'unsubscribe-page': HIT_EVENTS.unsubscribe_page.type };
const HIT_EVENT_TYPES = new Set(Object.values(EVENT_TYPE));

interface LiveMessage {
  id: number;
  pixelPath: string;
  linkPaths: string[];
  linkOrdinals: number[];
  honeypotPath: string | null;
  unsubscribePath: string | null;
}

type Step = { at: number; rank: number; scenario: number } & ({ type: 'create' } | { type: 'sent' | 'delivered' } | { type: 'hit'; index: number });

function timeline(scenarios: readonly Scenario[]): Step[] {
  const steps: Step[] = [];
  scenarios.forEach((s, scenario) => {
    const first = Math.min(s.sentAt, s.deliveredAt ?? Infinity, ...s.hits.map((h) => h.at));
    steps.push({ at: first, rank: 0, scenario, type: 'create' });
    steps.push({ at: s.sentAt, rank: 1, scenario, type: 'sent' });
    if (s.deliveredAt !== null) steps.push({ at: s.deliveredAt, rank: 1, scenario, type: 'delivered' });
    s.hits.forEach((hit, index) => steps.push({ at: hit.at, rank: 1, scenario, type: 'hit', index }));
  });
  // Array.prototype.sort is stable: equal times keep file order.
  return steps.sort((a, b) => a.at - b.at || a.rank - b.rank);
}

const pathOf = (url: string) => new URL(url).pathname;
const campaignKey = (s: Pick<Scenario, 'honeypot' | 'campaign'>) => `${s.honeypot}\n${s.campaign}`;
/** Messages of one campaign with the same links share an execution. */
const executionKey = (s: Scenario) => `${campaignKey(s)}\n${JSON.stringify(s.links)}`;

/** A campaign per scenario campaign name, split in two when its messages disagree about the honeypot. */
async function createCampaigns(server: EvalServer, scenarios: readonly Scenario[]): Promise<Map<string, number>> {
  const honeypots = new Map<string, Set<boolean>>();
  for (const s of scenarios) honeypots.set(s.campaign, (honeypots.get(s.campaign) ?? new Set()).add(s.honeypot));
  const ids = new Map<string, number>();
  for (const [name, values] of honeypots) {
    for (const honeypot of values) {
      const body = { name: values.size > 1 && honeypot ? `${name}:honeypot` : name, kind: 'one-off', tracking: { honeypot } };
      const created = parseResponse(CreatedId, await server.api('POST', '/api/campaigns', body, [201]), 'campaign');
      ids.set(campaignKey({ honeypot, campaign: name }), created.id);
    }
  }
  return ids;
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function executionHtml(links: readonly string[]): string {
  const anchors = links.map((url, i) => `<p><a href="${escapeHtml(url)}">Link ${i + 1}</a></p>`).join('\n');
  return `<html><body>\n<p>Hello,</p>\n${anchors}\n</body></html>`;
}

async function createMessage(server: EvalServer, s: Scenario, executionId: number): Promise<LiveMessage> {
  const [, domain] = s.recipient.split('@');
  const slug = s.message.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'm';
  const extras = Array.from({ length: s.recipients - 1 }, (_, k) => `extra${k + 1}.${slug}@${domain}`);
  const body = { executionId, to: [s.recipient, ...extras.slice(0, 1)], cc: extras.slice(1) };
  const created = parseResponse(CreatedMessage, await server.api('POST', '/api/messages', body, [201]), 'message');
  const pixel = /<img[^>]*\ssrc="([^"]*\/o\/[^"]+)"/.exec(created.html)?.[1];
  if (!pixel) throw new BrokenServerError(`message ${s.message}: no open pixel in the created HTML`);
  if (created.links.length !== s.links.length) {
    throw new BrokenServerError(`message ${s.message}: the server tracked ${created.links.length} link(s), the scenario has ${s.links.length}`);
  }
  return {
    id: created.id,
    pixelPath: pathOf(pixel),
    linkPaths: created.links.map((l) => pathOf(l.tracked)),
    linkOrdinals: created.links.map((l) => l.ordinal),
    honeypotPath: created.honeypotUrl ? pathOf(created.honeypotUrl) : null,
    unsubscribePath: created.unsubscribeUrl ? pathOf(created.unsubscribeUrl) : null,
  };
}

function target(s: Scenario, live: LiveMessage, hit: ScenarioHit): { url: string; expected: number } {
  switch (hit.kind) {
    case 'open':
      return { url: live.pixelPath, expected: 200 };
    case 'unsubscribe-page':
      if (!live.unsubscribePath) throw new BrokenServerError(`message ${s.message}: the server gave no unsubscribe URL`);
      return { url: live.unsubscribePath, expected: 200 };
    case 'click':
      if (hit.link === 'honeypot') {
        if (!live.honeypotPath) throw new BrokenServerError(`message ${s.message}: the campaign has a honeypot but the server gave no honeypot URL`);
        return { url: live.honeypotPath, expected: 200 };
      }
      return { url: live.linkPaths[hit.link!]!, expected: 302 };
  }
}

async function sendHit(server: EvalServer, url: string, hit: ScenarioHit): Promise<number> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(hit.headers)) headers[name.toLowerCase()] = value;
  // light-my-request adds its own user agent unless the header is explicitly undefined.
  headers['user-agent'] = hit.ua ? hit.ua : undefined;
  headers['x-forwarded-for'] = hit.ip;
  server.requests++;
  const response = await server.app.inject({ method: hit.method, url, headers });
  return response.statusCode;
}

function sameIp(a: string, b: string | null | undefined): boolean {
  if (!b) return false;
  try {
    const [x, y] = [parseIp(a), parseIp(b)];
    return x.family === y.family && x.value === y.value;
  } catch {
    return a === b;
  }
}

/** Pairs the n-th replayed hit with the n-th hit event ordered by (at, id); any disagreement is fatal. */
function matchVerdicts(s: Scenario, live: LiveMessage, events: readonly ViewEvent[], onMissing: () => void): HitResult[] {
  const hitEvents = events.filter((e) => HIT_EVENT_TYPES.has(e.type)).sort((a, b) => a.at - b.at || a.id - b.id);
  if (hitEvents.length !== s.hits.length) {
    throw new BrokenServerError(`message ${s.message}: replayed ${s.hits.length} hit(s) but the server recorded ${hitEvents.length}`);
  }
  const sorted = [...s.hits].sort((a, b) => a.at - b.at);
  return sorted.map((hit, n) => {
    const event = hitEvents[n]!;
    const ordinal = hit.kind !== 'click' ? null : hit.link === 'honeypot' ? 0 : live.linkOrdinals[hit.link!]!;
    if (event.type !== EVENT_TYPE[hit.kind] || event.hit?.method !== hit.method || (event.hit?.linkOrdinal ?? null) !== ordinal) {
      throw new BrokenServerError(
        `message ${s.message}: hit #${n + 1} was replayed as ${hit.kind} ${hit.method} (link ordinal ${ordinal}) ` +
          `but event ${event.id} is ${event.type} ${event.hit?.method ?? '?'} (link ordinal ${event.hit?.linkOrdinal ?? null})`,
      );
    }
    // The server must see the client the scenario names: X-Forwarded-For trusted, user agent passed through.
    const ua = hit.ua ? hit.ua.slice(0, MAX_KEPT_HEADER_LENGTH) : null;
    if (!sameIp(hit.ip, event.hit?.ip) || (event.hit?.userAgent ?? null) !== ua) {
      throw new BrokenServerError(
        `message ${s.message}: hit #${n + 1} came from ${hit.ip} with user agent ${JSON.stringify(ua)} ` +
          `but event ${event.id} recorded ${event.hit?.ip ?? null} with ${JSON.stringify(event.hit?.userAgent ?? null)}`,
      );
    }
    if (event.verdict === undefined || event.verdict === null) onMissing();
    return { message: s.message, campaign: s.campaign, hit, sentAt: s.sentAt, deliveredAt: s.deliveredAt, verdict: event.verdict ?? 'human', reasons: event.reasons ?? [] };
  });
}

export async function replayScenarios(scenarios: readonly Scenario[], options: ReplayOptions): Promise<ReplayResult> {
  const started = performance.now();
  const base = options.baseTime ?? DEFAULT_BASE_TIME;
  const steps = timeline(scenarios);
  const absolute = (ms: number) => base + Math.round(ms);
  const server = await startEvalServer(options.selfNetworks, absolute(steps[0]?.at ?? 0), options.hitWriter);
  try {
    const campaigns = await createCampaigns(server, scenarios);
    const executions = new Map<string, number>();
    for (const s of scenarios) {
      if (executions.has(executionKey(s))) continue;
      const body = { subject: s.campaign, html: executionHtml(s.links) };
      const created = parseResponse(CreatedId, await server.api('POST', `/api/campaigns/${campaigns.get(campaignKey(s))}/executions`, body, [201]), 'execution');
      executions.set(executionKey(s), created.id);
    }

    const timelineStarted = performance.now();
    const live: LiveMessage[] = [];
    const unexpected: UnexpectedStatus[] = [];
    const stepMs = { create: 0, delivery: 0, hit: 0 };
    for (const step of steps) {
      const s = scenarios[step.scenario]!;
      const stepStarted = performance.now();
      server.setTime(absolute(step.at));
      if (step.type === 'create') {
        live[step.scenario] = await createMessage(server, s, executions.get(executionKey(s))!);
      } else if (step.type === 'hit') {
        const hit = s.hits[step.index]!;
        const { url, expected } = target(s, live[step.scenario]!, hit);
        const status = await sendHit(server, url, hit);
        if (status !== expected) unexpected.push({ message: s.message, hitIndex: step.index, kind: hit.kind, method: hit.method, status, expected });
      } else {
        await server.api('POST', `/api/messages/${live[step.scenario]!.id}/events`, { type: step.type, at: server.now() }, [200, 201]);
      }
      stepMs[step.type === 'sent' || step.type === 'delivered' ? 'delivery' : step.type] += performance.now() - stepStarted;
    }
    const timelineMs = performance.now() - timelineStarted;

    server.setTime(server.now() + SETTLE_AFTER_MS);
    let missingVerdicts = 0;
    const hits: HitResult[] = [];
    for (const [i, s] of scenarios.entries()) {
      const view = parseResponse(MessageView, await server.api('GET', `/api/messages/${live[i]!.id}`, undefined, [200]), 'message view');
      hits.push(...matchVerdicts(s, live[i]!, view.events, () => missingVerdicts++));
    }
    if (missingVerdicts > 0) options.warn?.(`warning: the server returned ${missingVerdicts} hit event(s) without a verdict; counted as human with no reasons`);
    return { hits, unexpected, missingVerdicts, requests: server.requests, timelineMs, totalMs: performance.now() - started, stepMs };
  } finally {
    await server.close();
  }
}
