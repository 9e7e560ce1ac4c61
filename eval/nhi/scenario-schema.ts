/**
 * The scenario format: JSON lines, one message each, with its delivery facts and every hit labelled
 * with its ground truth. The generator writes it, the harness replays it; hand-written files too.
 */
import { z } from 'zod';
import { parseIp } from '../../src/core/nhi/ip-address.js';

export const VERDICTS = ['human', 'machine', 'bot', 'self'] as const;
export type Verdict = (typeof VERDICTS)[number];

export const HIT_KINDS = ['open', 'click', 'unsubscribe-page'] as const;
export type HitKind = (typeof HIT_KINDS)[number];

/** The tracking routes answer GET and HEAD; a POST to the unsubscribe URL is an unsubscribe, not a hit. */
export const HIT_METHODS = ['GET', 'HEAD'] as const;

/** Milliseconds from the scenario start. */
const Ms = z.number().nonnegative();

const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

export const ScenarioHitSchema = z.object({
  at: Ms,
  kind: z.enum(HIT_KINDS),
  /** Index into the message's `links`, or the hidden honeypot link; clicks only. */
  link: z.union([z.number().int().nonnegative(), z.literal('honeypot')]).nullish(),
  method: z
    .string()
    .transform((m) => m.toUpperCase())
    .pipe(z.enum(HIT_METHODS)),
  // Read by the same parser as the server reads X-Forwarded-For, so a scenario holds only addresses it takes.
  ip: z.string().refine((ip) => parseIp(ip) !== null, 'must be an IPv4 or IPv6 address'),
  ua: z.string().nullish().transform((ua) => ua ?? null),
  headers: z
    .record(z.string(), z.string())
    .nullish()
    .transform((h) => h ?? {}),
  truth: z.enum(VERDICTS),
});

export const ScenarioSchema = z
  .object({
    message: z.string().min(1),
    campaign: z.string().min(1),
    recipient: z.email(),
    recipients: z.number().int().min(1).max(100).default(1),
    links: z.array(HttpUrl).default([]),
    honeypot: z.boolean().default(false),
    sentAt: Ms,
    deliveredAt: Ms.nullish().transform((d) => d ?? null),
    hits: z.array(ScenarioHitSchema).default([]),
    /** The scenario family that made it (eval/nhi/scenario-families.ts); the evaluation scores each apart. */
    family: z.string().min(1).optional(),
  })
  .superRefine((scenario, ctx) => {
    scenario.hits.forEach((hit, i) => {
      if (hit.kind !== 'click') return;
      const path = ['hits', i, 'link'];
      if (hit.link === undefined || hit.link === null) {
        ctx.addIssue({ code: 'custom', path, message: 'a click needs a link: an index into links or "honeypot"' });
      } else if (hit.link === 'honeypot' && !scenario.honeypot) {
        ctx.addIssue({ code: 'custom', path, message: 'a honeypot click on a message whose campaign has no honeypot (honeypot: false)' });
      } else if (typeof hit.link === 'number' && hit.link >= scenario.links.length) {
        ctx.addIssue({ code: 'custom', path, message: `link ${hit.link} is out of range: the message has ${scenario.links.length} link(s)` });
      }
    });
  });

export type Scenario = z.output<typeof ScenarioSchema>;
export type ScenarioHit = z.output<typeof ScenarioHitSchema>;

export interface ScenarioError {
  /** 1-based line number in the file. */
  line: number;
  /** Path of the offending field, e.g. `hits[2].ip`; `(line)` when the line is not JSON. */
  field: string;
  message: string;
}

export interface ParsedScenarios {
  scenarios: Scenario[];
  errors: ScenarioError[];
}

function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(message)';
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}

/** Parses JSON lines; blank lines are skipped. Every bad line is reported, not only the first. */
export function parseScenarios(text: string): ParsedScenarios {
  const scenarios: Scenario[] = [];
  const errors: ScenarioError[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      errors.push({ line, field: '(line)', message: `not JSON: ${(error as Error).message}` });
      return;
    }
    const parsed = ScenarioSchema.safeParse(json);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) errors.push({ line, field: fieldPath(issue.path), message: issue.message });
      return;
    }
    const first = seen.get(parsed.data.message);
    if (first !== undefined) {
      errors.push({ line, field: 'message', message: `duplicate message id "${parsed.data.message}" (first on line ${first})` });
      return;
    }
    seen.set(parsed.data.message, line);
    scenarios.push(parsed.data);
  });
  return { scenarios, errors };
}

export function formatScenarioError(error: ScenarioError): string {
  return `line ${error.line}: ${error.field}: ${error.message}`;
}

/** One scenario per line, keys in a fixed order, so equal scenarios give equal text. */
export function toJsonLines(scenarios: readonly Scenario[]): string {
  return scenarios.map((s) => JSON.stringify(s) + '\n').join('');
}
