import { loadConfig } from '../config.js';
import { systemClock } from '../app/ports.js';
import { resealEndpointSecrets } from '../app/outgoing-webhooks.js';
import { KyselyOutgoingWebhookStore } from '../adapters/storage/outgoing-webhook-store.js';
import { createApiKey, listApiKeys, revokeApiKey, rotateSecretKey, rotateSigningKey } from '../app/keys.js';
import { KEY_SCOPES, type KeyScope } from '../app/ports.js';
import { openStorage } from '../adapters/storage/index.js';
import { secretKeys } from '../compose.js';
import { recount } from '../adapters/storage/recount.js';

const KEYS_SUBCOMMANDS = ['create', 'list', 'revoke', 'rotate-signing', 'rotate-secret'] as const;
type KeysSubcommand = (typeof KEYS_SUBCOMMANDS)[number];

export async function keysCommand(positionals: string[], values: { name?: string; scope?: string }): Promise<number> {
  const [sub, keyId] = positionals;
  if (!KEYS_SUBCOMMANDS.includes(sub as KeysSubcommand)) {
    console.error(`mailsight keys: expected ${KEYS_SUBCOMMANDS.map((s) => `'${s}'`).join(', ')}, got '${sub ?? ''}'`);
    return 2;
  }
  const scope = values.scope ?? 'admin';
  if (sub === 'create' && !(KEY_SCOPES as readonly string[]).includes(scope)) {
    console.error(`mailsight keys create: --scope must be one of ${KEY_SCOPES.join(', ')}, got '${scope}'`);
    return 2;
  }
  if (sub === 'revoke' && !keyId) {
    console.error('mailsight keys revoke: expected the key id (see `mailsight keys list`)');
    return 2;
  }
  const config = loadConfig();
  // API keys need no secret key; signing keys are sealed under it, so it is read (or created) first.
  const apiKeys = sub === 'create' || sub === 'list' || sub === 'revoke';
  const secrets = apiKeys ? null : secretKeys(config);
  const storage = await openStorage(config.database, systemClock);
  try {
    if (sub === 'create') {
      const { id, key } = await createApiKey(storage.keys, systemClock, values.name ?? 'default', scope as KeyScope);
      console.error(`created API key ${id} (scope ${scope}); it is shown once, keep it:`);
      console.log(key);
    } else if (sub === 'list') {
      const time = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());
      for (const key of await listApiKeys(storage.keys)) {
        console.log([key.id, key.scope, key.name, `created ${time(key.createdAt)}`, `last used ${time(key.lastUsedAt)}`, key.revokedAt === null ? 'in force' : `revoked ${time(key.revokedAt)}`].join('\t'));
      }
    } else if (sub === 'revoke') {
      await revokeApiKey(storage.keys, systemClock, keyId!);
      console.log(`API key ${keyId} revoked`);
    } else if (sub === 'rotate-signing') {
      const id = await rotateSigningKey(storage.keys, secrets!, systemClock);
      console.log(`signing key ${id} added; running servers sign with it within a minute, older tokens keep working`);
    } else {
      const { resealed, total } = await rotateSecretKey(storage.keys, secrets!);
      const endpoints = await resealEndpointSecrets(new KyselyOutgoingWebhookStore(storage.database.db), secrets!);
      const { current, previous } = secrets!;
      console.log(`${resealed} of ${total} signing keys sealed again; all are now sealed with secret key ${current.fingerprint} (${current.source})`);
      if (endpoints.total > 0) console.log(`${endpoints.resealed} of ${endpoints.total} outgoing webhook secrets sealed again with it`);
      if (previous) console.log(`SECRET_KEY_PREVIOUS (secret key ${previous.fingerprint}) no longer opens anything here: remove it from every node`);
    }
    return 0;
  } finally {
    await storage.close();
  }
}

export async function migrateCommand(): Promise<number> {
  const config = loadConfig();
  const storage = await openStorage(config.database, systemClock);
  await storage.close();
  console.log(`schema up to date (${config.database.dialect})`);
  return 0;
}

/** Differences printed one per line, at most this many: a thoroughly wrong database would print millions. */
const SHOWN_DIFFERENCES = 50;

/**
 * `mailsight recount [--campaign ID] [--check]`: rebuilds the report counters from the events and
 * says what it fixed; with --check, only says what it would fix (exit status 1 when anything).
 */
export async function recountCommand(values: { campaign?: string; check?: boolean }): Promise<number> {
  const campaignId = values.campaign === undefined ? undefined : Number(values.campaign);
  if (campaignId !== undefined && !(Number.isInteger(campaignId) && campaignId > 0)) {
    console.error(`mailsight recount: --campaign must be a campaign id (a positive integer), got '${values.campaign}'`);
    return 2;
  }
  const config = loadConfig();
  const storage = await openStorage(config.database, systemClock);
  try {
    const fix = !values.check;
    const started = performance.now();
    const result = await recount(storage.database.db, { ...(campaignId === undefined ? {} : { campaignId }), fix });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`recounted ${result.messages} messages of ${result.executions} executions (${result.counters} counters) in ${seconds} s`);
    for (const d of result.differences.slice(0, SHOWN_DIFFERENCES)) console.log(`  execution ${d.executionId} ${d.name}: stored ${d.stored}, counted ${d.counted}`);
    if (result.differences.length > SHOWN_DIFFERENCES) console.log(`  ... and ${result.differences.length - SHOWN_DIFFERENCES} more`);
    const what = `${result.differences.length} counters and ${result.factDifferences} messages' facts`;
    if (result.differences.length === 0 && result.factDifferences === 0) console.log('no differences: the counters were right');
    else console.log(fix ? `fixed ${what}` : `${what} differ (run without --check to fix them)`);
    return fix || (result.differences.length === 0 && result.factDifferences === 0) ? 0 : 1;
  } finally {
    await storage.close();
  }
}
