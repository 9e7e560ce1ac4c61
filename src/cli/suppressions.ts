/**
 * `mailsight suppressions`: the suppression list from the command line, through the same service as
 * the API. Each change is audited with the actor `cli:<os user>`.
 *   list [--reason R] [--state active|expired|all] [--prefix P] [--after EMAIL] [--limit N] [--json]
 *   add <email> [--reason R] [--note TEXT] [--expires DATE | --days N]
 *   remove <email> [--note TEXT]
 *   import <file.csv>
 *   export [file.csv] [--all]
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { loadConfig } from '../config.js';
import { systemClock, SUPPRESSION_STATES, type SuppressionState } from '../app/ports.js';
import { EXPIRY_EXPECTED, SuppressionService, checkedReason, parseExpiry, type SuppressionView } from '../app/suppressions.js';
import { openStorage } from '../adapters/storage/index.js';

export const SUPPRESSIONS_USAGE = `usage: mailsight suppressions list [--reason R] [--state active|expired|all] [--prefix P] [--after EMAIL] [--limit N] [--json]
       mailsight suppressions add <email> [--reason R] [--note TEXT] [--expires DATE | --days N]
       mailsight suppressions remove <email> [--note TEXT]
       mailsight suppressions import <file.csv>
       mailsight suppressions export [file.csv] [--all]`;

export interface SuppressionsFlags {
  reason?: string | undefined;
  state?: string | undefined;
  prefix?: string | undefined;
  after?: string | undefined;
  limit?: string | undefined;
  json?: boolean | undefined;
  note?: string | undefined;
  expires?: string | undefined;
  days?: string | undefined;
  all?: boolean | undefined;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The actor of changes made here: the operating system's user. */
export function cliActor(): string {
  let name: string;
  try {
    name = os.userInfo().username;
  } catch {
    name = process.env['USER'] ?? 'unknown';
  }
  return `cli:${name}`;
}

const usage = (problem?: string): number => {
  console.error(problem ? `mailsight suppressions: ${problem}\n\n${SUPPRESSIONS_USAGE}` : SUPPRESSIONS_USAGE);
  return 2;
};

export async function suppressionsCommand(positionals: string[], flags: SuppressionsFlags, env: Record<string, string | undefined> = process.env): Promise<number> {
  const [sub, ...args] = positionals;
  const arity: Record<string, [number, number]> = { list: [0, 0], add: [1, 1], remove: [1, 1], import: [1, 1], export: [0, 1] };
  const expected = sub === undefined ? undefined : arity[sub];
  if (!expected) return usage(sub === undefined ? undefined : `unknown subcommand '${sub}'`);
  if (args.length < expected[0] || args.length > expected[1]) return usage(`'${sub}' takes ${expected[0] === expected[1] ? expected[0] : `${expected[0]} to ${expected[1]}`} argument(s)`);
  if (flags.state !== undefined && !SUPPRESSION_STATES.includes(flags.state as SuppressionState)) return usage(`--state: expected ${SUPPRESSION_STATES.join(', ')}, got '${flags.state}'`);
  if (flags.expires !== undefined && flags.days !== undefined) return usage('--expires and --days: give one of them');

  const config = loadConfig(env);
  const storage = await openStorage(config.database, systemClock);
  try {
    const service = new SuppressionService(storage.suppressions, systemClock);
    const actor = cliActor();
    switch (sub) {
      case 'list':
        return await list(service, flags);
      case 'add': {
        const expiresAt = expiryFrom(flags);
        if (expiresAt === undefined) return usage(flags.days !== undefined ? `--days: expected a whole number of days from 1, got '${flags.days}'` : `--expires: expected ${EXPIRY_EXPECTED}, got '${flags.expires}'`);
        const added = await service.add({ email: args[0]!, reason: flags.reason === undefined ? undefined : checkedReason(flags.reason), expiresAt, note: flags.note ?? null }, actor);
        const entry = added.suppression;
        console.log(
          added.merge === 'unchanged'
            ? `${entry.email} is already suppressed (${entry.reason}, ${until(entry)}): unchanged`
            : `${entry.email} suppressed (${entry.reason}, ${until(entry)}): ${added.merge} by ${actor}`,
        );
        return 0;
      }
      case 'remove': {
        const removed = await service.remove(args[0]!, flags.note ?? null, actor);
        console.log(`${removed.email} is no longer suppressed (was ${removed.reason}): removed by ${actor}`);
        return 0;
      }
      case 'import': {
        const result = await service.importCsv(await readFile(args[0]!, 'utf8'), actor);
        console.log(`imported ${result.rows} rows from ${args[0]}: ${result.added} added, ${result.extended} extended, ${result.unchanged} unchanged (a longer entry was in force)`);
        return 0;
      }
      default: {
        const csv = await service.exportCsv(flags.all === true);
        if (args[0] === undefined) {
          process.stdout.write(csv);
        } else {
          await writeFile(args[0], csv);
          console.error(`exported ${csv.split('\r\n').length - 2} entries to ${args[0]}`);
        }
        return 0;
      }
    }
  } finally {
    await storage.close();
  }
}

async function list(service: SuppressionService, flags: SuppressionsFlags): Promise<number> {
  const limit = flags.limit === undefined ? undefined : /^[1-9][0-9]*$/.test(flags.limit) ? Number(flags.limit) : NaN;
  const page = await service.list({
    reason: flags.reason === undefined ? undefined : checkedReason(flags.reason, '--reason'),
    state: flags.state as SuppressionState | undefined,
    prefix: flags.prefix,
    after: flags.after,
    limit,
  });
  if (flags.json) {
    console.log(JSON.stringify(page, null, 2));
    return 0;
  }
  for (const e of page.suppressions) {
    console.log([e.email, e.reason, until(e), e.active ? 'active' : 'expired', e.actor ?? '', e.note ?? ''].join('\t'));
  }
  if (page.next !== null) console.error(`more: --after ${page.next}`);
  return 0;
}

/** The expiry the flags ask for: epoch ms, null for permanent (neither given), undefined when unreadable. */
function expiryFrom(flags: SuppressionsFlags): number | null | undefined {
  if (flags.days !== undefined) return /^[1-9][0-9]*$/.test(flags.days) ? systemClock.now() + Number(flags.days) * DAY_MS : undefined;
  if (flags.expires !== undefined) return parseExpiry(flags.expires);
  return null;
}

function until(entry: Pick<SuppressionView, 'expiresAt'>): string {
  return entry.expiresAt === null ? 'permanent' : `until ${new Date(entry.expiresAt).toISOString()}`;
}
