/**
 * Signing keys are stored sealed under the secret key, which is not in the database: a copy of the
 * database alone opens nothing, a wrong secret key stops the start with a message, keys stored plain
 * before sealing existed are sealed at the first start, and the secret key can be rotated.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { sql } from 'kysely';
import { build, secretKeys, type Mailsight } from '../src/compose.js';
import { loadConfig, type Config } from '../src/config.js';
import { createApiKey, rotateSecretKey, rotateSigningKey } from '../src/app/keys.js';
import { systemClock } from '../src/app/ports.js';
import { Keyring, signToken } from '../src/core/tokens.js';
import { SecretKey, SecretKeyError } from '../src/core/secret-key.js';
import { migrateTo, openDatabase } from '../src/adapters/storage/database.js';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.js';

const K1 = Buffer.alloc(32, 0x11);
const K2 = Buffer.alloc(32, 0x22);
const FP1 = new SecretKey(K1, 'K1').fingerprint;
const FP2 = new SecretKey(K2, 'K2').fingerprint;
const b64 = (key: Buffer) => key.toString('base64');

/** A server on `database`, its API key, and a helper that creates a message and returns its first click path. */
async function start(database: TestDatabase['config'], env: Record<string, string>): Promise<Mailsight & { sendMessage(to: string): Promise<{ id: number; click: string }> }> {
  const config: Readonly<Config> = Object.freeze({ ...loadConfig({ MX_LOOKUP: 'false', PUBLIC_URL: 'https://track.test', LOG_LEVEL: 'silent', HIT_WRITER: 'inline', ...env }), database });
  const server = await build({ config, logger: pino({ level: 'silent' }) });
  const { key } = await createApiKey(server.storage.keys, systemClock, 'secret-key-test');
  const api = async (url: string, body: unknown) =>
    (await server.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) })).json();
  return {
    ...server,
    async sendMessage(to) {
      const campaign = await api('/api/campaigns', { name: 'sealed' });
      const execution = await api(`/api/campaigns/${campaign.id}/executions`, { subject: 's', html: '<p><a href="https://shop.example/a">a</a></p>' });
      const message = await api('/api/messages', { executionId: execution.id, to: [to] });
      return { id: message.id, click: new URL(message.links[0].tracked).pathname };
    },
  };
}

async function clickStatus(server: Mailsight, click: string): Promise<number> {
  return (await server.app.inject({ method: 'GET', url: click, headers: { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0) Chrome/128.0' } })).statusCode;
}

describe.each(await testDialects())('signing keys sealed under the secret key (%s)', (dialect) => {
  let database: TestDatabase | undefined;
  const running: Mailsight[] = [];
  afterEach(async () => {
    for (const server of running.splice(0)) await server.app.close();
    await database?.drop();
    database = undefined;
  });
  const run = async (env: Record<string, string>) => {
    const server = await start(database!.config, env);
    running.push(server);
    return server;
  };
  const stop = async (server: Mailsight) => {
    running.splice(running.indexOf(server), 1);
    await server.app.close();
  };

  it('stores them sealed: the database alone opens nothing, and a wrong secret key stops the start with a message', async () => {
    database = await createTestDatabase(dialect);
    const first = await run({ SECRET_KEY: b64(K1) });
    const { secret } = first.services.keyring.current.signing;
    const rows = await first.storage.database.db.selectFrom('signing_keys').selectAll().execute();
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({ id: 1, secret: '', sealed_by: FP1 });
    const everything = JSON.stringify(rows);
    for (const encoding of ['base64', 'hex', 'base64url'] as const) expect(everything).not.toContain(secret.toString(encoding));
    expect(Buffer.from(row.sealed!, 'base64').includes(secret)).toBe(false);
    expect(new SecretKey(K2, 'another key').open(1, { by: FP1, box: row.sealed! })).toBeNull();
    expect(new SecretKey(K1, 'the key').open(1, { by: FP1, box: row.sealed! })?.equals(secret)).toBe(true);
    await stop(first);

    const wrong = start(database.config, { SECRET_KEY: b64(K2) });
    await expect(wrong).rejects.toThrow(SecretKeyError);
    await expect(wrong).rejects.toThrow(`signing key 1 is sealed with secret key ${FP1}, which this process does not have (SECRET_KEY is secret key ${FP2})`);
  });

  it('seals the plain keys of a database from before sealing at the first start, and their tokens keep verifying', async () => {
    database = await createTestDatabase(dialect);
    const before = openDatabase(database.config);
    await migrateTo(before, '0004-events-by-type');
    const plain = randomBytes(32);
    await sql`insert into signing_keys (id, secret, created_at) values (1, ${plain.toString('base64')}, 1)`.execute(before.db);
    await before.db.destroy();

    const server = await run({ SECRET_KEY: b64(K1) });
    expect(server.services.keyring.current.get(1)?.secret.equals(plain)).toBe(true);
    const row = await server.storage.database.db.selectFrom('signing_keys').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ id: 1, secret: '', sealed_by: FP1 });
    // A token as the version before signed it (version 1, the plain key): mail already sent.
    const { id } = await server.sendMessage('ann@example.com');
    const sentBefore = signToken(new Keyring([{ id: 1, secret: plain }]), { kind: 'click', messageId: id, ordinal: 1 }, 1);
    expect(await clickStatus(server, `/c/${sentBefore}`)).toBe(302);
    await stop(server);
    // Sealed once: the next start opens it with the secret key, as any other.
    const again = await run({ SECRET_KEY: b64(K1) });
    expect(await clickStatus(again, `/c/${sentBefore}`)).toBe(302);
  });

  it('rotates the secret key: all keys sealed again in one go, tokens signed before still verify, the old key opens nothing', async () => {
    database = await createTestDatabase(dialect);
    const first = await run({ SECRET_KEY: b64(K1) });
    await rotateSigningKey(first.storage.keys, secretKeys({ secretKey: { value: K1, file: null, previous: null }, database: database.config }), systemClock);
    await first.services.keyring.refresh();
    const { click } = await first.sendMessage('bob@example.com');
    expect(await clickStatus(first, click)).toBe(302);
    await stop(first);

    // While rolling, nodes hold the new key and the previous one, which still opens every key.
    const rollingEnv = { SECRET_KEY: b64(K2), SECRET_KEY_PREVIOUS: b64(K1) };
    const rolling = await run(rollingEnv);
    expect(await clickStatus(rolling, click)).toBe(302);
    const rollingSecrets = secretKeys({ secretKey: { value: K2, file: null, previous: K1 }, database: database.config });
    expect(await rotateSecretKey(rolling.storage.keys, rollingSecrets)).toEqual({ resealed: 2, total: 2 });
    expect(await rotateSecretKey(rolling.storage.keys, rollingSecrets)).toEqual({ resealed: 0, total: 2 });
    const rows = await rolling.storage.database.db.selectFrom('signing_keys').select(['id', 'sealed_by']).orderBy('id').execute();
    expect(rows).toEqual([{ id: 1, sealed_by: FP2 }, { id: 2, sealed_by: FP2 }]);
    await stop(rolling);

    const after = await run({ SECRET_KEY: b64(K2) });
    expect(await clickStatus(after, click)).toBe(302);
    await stop(after);
    await expect(start(database.config, { SECRET_KEY: b64(K1) })).rejects.toThrow(`signing key 1 is sealed with secret key ${FP2}`);
  });
});

describe('where the secret key comes from', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('on SQLite, creates the key file beside the database, owner-only, once', () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-secret-'));
    const config = loadConfig({ MX_LOOKUP: 'false', DATA_DIR: path.join(dir, 'data') });
    const first = secretKeys(config);
    const file = path.join(dir, 'data', 'secret.key');
    expect(first.current.source).toBe(`the secret key file ${file} (created now: it was missing)`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, 'data')).mode & 0o777).toBe(0o700);
    const second = secretKeys(config);
    expect(second.current.fingerprint).toBe(first.current.fingerprint);
    expect(second.current.source).toBe(`the secret key file ${file}`);
    // The file holds the key as SECRET_KEY takes it.
    expect(new SecretKey(loadConfig({ MX_LOOKUP: 'false', SECRET_KEY: readFileSync(file, 'utf8').trim() }).secretKey.value!, 'env').fingerprint).toBe(first.current.fingerprint);
  });

  it('refuses a key file that holds no key, and both settings at once, naming them', () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-secret-'));
    const file = path.join(dir, 'bad.key');
    writeFileSync(file, 'not a key\n');
    expect(() => secretKeys(loadConfig({ MX_LOOKUP: 'false', DATA_DIR: dir, SECRET_KEY_FILE: file }))).toThrow(`the secret key file ${file} does not hold a secret key`);
    expect(() => loadConfig({ MX_LOOKUP: 'false', SECRET_KEY: b64(K1), SECRET_KEY_FILE: file })).toThrow(/SECRET_KEY and SECRET_KEY_FILE are both set/);
    expect(() => loadConfig({ MX_LOOKUP: 'false', SECRET_KEY: 'c2hvcnQ=' })).toThrow(/SECRET_KEY: must be 32 bytes in base64 or hex/);
    expect(() => loadConfig({ MX_LOOKUP: 'false', SECRET_KEY_PREVIOUS: 'xyz' })).toThrow(/SECRET_KEY_PREVIOUS: must be 32 bytes/);
  });

  it('on PostgreSQL, refuses to start without one, saying that every node must share it', async () => {
    const config = loadConfig({ MX_LOOKUP: 'false', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', LOG_LEVEL: 'silent' });
    await expect(build({ config })).rejects.toThrow(/SECRET_KEY is not set: on PostgreSQL every node must open the same signing keys.*the same on every node/);
    // Nor is a missing key file created there: each node would make its own.
    dir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-secret-'));
    const file = path.join(dir, 'secret.key');
    expect(() => secretKeys(loadConfig({ MX_LOOKUP: 'false', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', SECRET_KEY_FILE: file }))).toThrow(`the secret key file ${file} cannot be read (ENOENT)`);
    expect(existsSync(file)).toBe(false);
  });
});

describe('mailsight keys rotate-secret (SQLite, the key file)', () => {
  const CLI = path.resolve('dist/src/cli.js');
  const cli = (args: string[], env: Record<string, string>) => promisify(execFile)(process.execPath, [CLI, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, timeout: 60_000 });
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('follows the documented procedure: move the file aside, rotate with it as previous, start with the new file', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
    dir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-rotate-'));
    const dataDir = path.join(dir, 'data');
    const keyFile = path.join(dataDir, 'secret.key');
    const sqlite = { dialect: 'sqlite' as const, file: path.join(dataDir, 'mailsight.sqlite'), synchronous: 'FULL' as const };
    const first = await start(sqlite, { DATA_DIR: dataDir });
    const { click } = await first.sendMessage('cat@example.com');
    await first.app.close();

    const oldFile = path.join(dataDir, 'secret.key.old');
    renameSync(keyFile, oldFile);
    const { stdout } = await cli(['keys', 'rotate-secret'], { DATA_DIR: dataDir, SECRET_KEY_PREVIOUS: readFileSync(oldFile, 'utf8').trim() });
    expect(stdout).toMatch(/^1 of 1 signing keys sealed again; all are now sealed with secret key [0-9a-f]{16} \(the secret key file .*secret\.key \(created now: it was missing\)\)$/m);
    expect(stdout).toMatch(/SECRET_KEY_PREVIOUS \(secret key [0-9a-f]{16}\) no longer opens anything here/);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    const after = await start(sqlite, { DATA_DIR: dataDir });
    expect(await clickStatus(after, click)).toBe(302);
    await after.app.close();
    // The old file no longer opens the database: the server refuses to start, with a message and no stack.
    const refused = cli(['serve'], { DATA_DIR: dataDir, SECRET_KEY_FILE: oldFile, PORT: '0' });
    await expect(refused).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/^mailsight: signing key 1 is sealed with secret key [0-9a-f]{16}, which this process does not have \(SECRET_KEY_FILE .*secret\.key\.old is secret key/) });
    await expect(refused).rejects.toMatchObject({ stderr: expect.not.stringMatching(/\n\s+at /) });
  }, 60_000);
});
