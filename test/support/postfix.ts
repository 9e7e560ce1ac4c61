/**
 * A real Postfix (Debian's package) as the relay of end-to-end tests: a private instance per call,
 * in its own temp dir (config, queue, data, log), listening on 127.0.0.1 only, relaying each test
 * domain to a local port and nothing anywhere else. Its bounces are genuine Postfix DSNs.
 *
 * Postfix must be installed (.ci/run installs it) and the tests must run as root, as `postfix start`
 * requires. Outside CI a test without them is skipped with a loud message; in CI that is a failure.
 *
 * How a private instance runs on Debian 12 (Postfix 3.7): `postfix -c DIR start` as root reads
 * DIR/main.cf and DIR/master.cf and passes MAIL_CONFIG=DIR to the master and its daemons, so no
 * `alternate_config_directories` entry (needed only by set-gid commands such as postdrop, which
 * nothing here uses: mail comes in over SMTP) and no postmulti. Program files (postfix-script,
 * postfix-files) still come from the package's meta_directory, /etc/postfix, which needs no main.cf.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where Debian's package puts the command (not always on a non-root PATH). */
export const POSTFIX_COMMAND = '/usr/sbin/postfix';
/** The package's list of its files and directories, with owners and modes (meta_directory). */
const POSTFIX_FILES = '/etc/postfix/postfix-files';

export interface PostfixOptions {
  /** Domain -> port of a local SMTP server on 127.0.0.1 that takes that domain's mail (the bounce domain too). */
  routes: Record<string, number>;
  /**
   * How long a deferred message is retried before it bounces, in Postfix time units. Default '0s':
   * one attempt, then a temporary failure (4xx) is returned at once as a failed DSN.
   */
  queueLifetime?: string;
  /** When set (e.g. '1s'), a message still deferred after this long gets a delay DSN (Action: delayed). */
  delayWarning?: string;
  /** More main.cf settings, written last so they win. */
  settings?: Record<string, string>;
}

export interface PostfixInstance {
  /** The SMTP port on 127.0.0.1 that relays to the routes. */
  port: number;
  /** Stops the instance, waits for its processes to end and removes its directory. */
  stop(): Promise<void>;
  /** The instance's log (maillog_file) so far; after stop(), the log as it was at stop. */
  logs(): string;
}

/** Why Postfix cannot run here (not installed, not root), or null when it can. */
export function postfixMissing(): string | null {
  if (!existsSync(POSTFIX_COMMAND)) return `Postfix is not installed (${POSTFIX_COMMAND} is missing; .ci/run installs the Debian package 'postfix')`;
  if (process.getuid?.() !== 0) return 'Postfix is installed but `postfix start` needs root and these tests do not run as root';
  return null;
}

/**
 * Whether the Postfix tests can run. Outside CI, a missing Postfix skips them with a loud warning; in
 * CI (CI set) it throws: CI must run them.
 */
export function postfixAvailable(): boolean {
  const missing = postfixMissing();
  if (missing === null) return true;
  if (process.env['CI']) throw new Error(`${missing}: CI must run the Postfix tests`);
  console.warn(`\n*** SKIPPING POSTFIX TEST: ${missing} ***\n`);
  return false;
}

/** Ports picked free by Node can be taken before Postfix binds them: a few tries with a new port. */
const START_ATTEMPTS = 3;
/** How long stop() waits for the master and its daemons to exit before killing them. */
const STOP_GRACE_MS = 5000;
/** Bound on one `postfix start` or `postfix stop` (each normally takes well under a second). */
const COMMAND_TIMEOUT_MS = 30_000;

export async function startPostfix(options: PostfixOptions): Promise<PostfixInstance> {
  const missing = postfixMissing();
  if (missing !== null) throw new Error(`startPostfix: ${missing}`);
  const routes = Object.entries(options.routes);
  if (routes.length === 0) throw new Error('startPostfix: no routes given');
  for (const [domain, port] of routes) {
    if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(domain)) throw new Error(`startPostfix: bad route domain ${JSON.stringify(domain)}`);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`startPostfix: bad port ${port} for ${domain}`);
  }

  // The postfix user's daemons chdir into the queue below this dir: it must be traversable (0755).
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-postfix-'));
  chmodSync(dir, 0o755);
  const config = path.join(dir, 'etc');
  mkdirSync(config);
  const quickStart = layOutQueue(dir);
  writeFileSync(path.join(config, 'transport'), routes.map(([domain, port]) => `${domain} smtp:[127.0.0.1]:${port}\n`).join(''));

  let lastError = '';
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const port = await freePort();
    writeFileSync(path.join(config, 'main.cf'), mainCf(dir, routes.map(([domain]) => domain), options));
    writeFileSync(path.join(config, 'master.cf'), masterCf(port));
    backdate(config);
    // Each start consumes the mark.
    if (quickStart) writeFileSync(path.join(dir, 'queue', 'quick-start'), '');
    try {
      // `postfix start` returns once the master has bound its sockets (master -w), or fails.
      await run(POSTFIX_COMMAND, ['-c', config, 'start'], { timeout: COMMAND_TIMEOUT_MS });
    } catch (error) {
      lastError = `${(error as Error).message}\n${readLog(dir)}`;
      await killInstance(dir);
      if (/Address already in use/.test(lastError)) continue;
      break;
    }
    return instance(dir, config, port);
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`startPostfix: Postfix did not start: ${lastError}`);
}

function instance(dir: string, config: string, port: number): PostfixInstance {
  let stopped: Promise<void> | null = null;
  let finalLog: string | null = null;
  const onExit = () => {
    // The test process is ending without stop(): leave no Postfix running.
    const pid = masterPid(dir);
    if (pid !== null) signalGroup(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  return {
    port,
    logs: () => finalLog ?? readLog(dir),
    stop() {
      stopped ??= (async () => {
        process.off('exit', onExit);
        await run(POSTFIX_COMMAND, ['-c', config, 'stop'], { timeout: COMMAND_TIMEOUT_MS }).catch(() => {});
        await killInstance(dir);
        finalLog = readLog(dir);
        rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      })();
      return stopped;
    },
  };
}

function mainCf(dir: string, domains: string[], options: PostfixOptions): string {
  const settings: Record<string, string> = {
    compatibility_level: '3.6',
    queue_directory: path.join(dir, 'queue'),
    // Owned by the postfix user (layOutQueue, or `postfix start` when it has to).
    data_directory: path.join(dir, 'data'),
    // Postfix 3.4+ logs to a file through postlogd (master.cf); a file must lie under one of the prefixes.
    maillog_file: path.join(dir, 'maillog'),
    maillog_file_prefixes: dir,
    myhostname: 'relay.mailsight.test',
    mydomain: 'mailsight.test',
    myorigin: '$myhostname',
    inet_interfaces: '127.0.0.1',
    inet_protocols: 'ipv4',
    // No local delivery at all: every domain is relayed or refused.
    mydestination: '',
    alias_maps: '',
    alias_database: '',
    biff: 'no',
    relay_domains: domains.join(', '),
    // texthash: read as text at start, no postmap.
    transport_maps: `texthash:${path.join(dir, 'etc', 'transport')}`,
    // Anything outside the routes (postmaster notices to $myorigin, a typo) fails here, never leaves.
    default_transport: 'error:5.1.2 this test relay routes only its test domains',
    mynetworks: '127.0.0.0/8',
    smtpd_relay_restrictions: 'permit_mynetworks, reject',
    smtp_tls_security_level: 'none',
    smtpd_tls_security_level: 'none',
    // Nothing reaches DNS: next hops are [127.0.0.1]; the client's name is not looked up.
    smtp_dns_support_level: 'disabled',
    smtp_host_lookup: 'native',
    smtpd_peername_lookup: 'no',
    smtputf8_enable: 'no',
    // Deliver each message on its own connection, so the receivers' sockets close when it is done.
    smtp_connection_cache_on_demand: 'no',
    // Fast retries and bounces: a deferral becomes a DSN in seconds, not days.
    maximal_queue_lifetime: options.queueLifetime ?? '0s',
    bounce_queue_lifetime: options.queueLifetime ?? '0s',
    queue_run_delay: '1s',
    minimal_backoff_time: '1s',
    maximal_backoff_time: '2s',
    delay_warning_time: options.delayWarning ?? '0h',
    ...options.settings,
  };
  return Object.entries(settings).map(([name, value]) => `${name} = ${value}\n`).join('');
}

/**
 * The services a relay needs, none chrooted (the queue is a temp dir without the chroot's files).
 * The smtpd listens on the test's port only; postlog feeds maillog_file.
 */
function masterCf(port: number): string {
  return `# service type private unpriv chroot wakeup maxproc command
127.0.0.1:${port} inet n - n - - smtpd
pickup    unix  n - n 60    1 pickup
cleanup   unix  n - n -     0 cleanup
qmgr      unix  n - n 300   1 qmgr
rewrite   unix  - - n -     - trivial-rewrite
bounce    unix  - - n -     0 bounce
defer     unix  - - n -     0 bounce
trace     unix  - - n -     0 bounce
verify    unix  - - n -     1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -     - proxymap
smtp      unix  - - n -     - smtp
relay     unix  - - n -     - smtp
error     unix  - - n -     - error
retry     unix  - - n -     - error
discard   unix  - - n -     - discard
anvil     unix  - - n -     1 anvil
scache    unix  - - n -     1 scache
postlog   unix-dgram n - n - 1 postlogd
`;
}

/**
 * Creates the queue and data directories as the package's postfix-files lists them (owner, group,
 * mode), so that the queue can be marked for a quick start (queue/quick-start): `postfix start` then
 * skips its integrity checks, which take about 1.5 s (creating missing directories one postconf call
 * at a time, then scanning the installation). Returns false when postfix-files cannot be read: then
 * only the queue dir is made and `postfix start` does the rest the slow way.
 */
function layOutQueue(dir: string): boolean {
  const queue = path.join(dir, 'queue');
  mkdirSync(queue, { mode: 0o755 });
  let entries: string[][];
  try {
    entries = readFileSync(POSTFIX_FILES, 'utf8').split('\n').map((line) => line.split(':'));
  } catch {
    return false;
  }
  const ids = { mail_owner: idOf('/etc/passwd', 'postfix'), setgid_group: idOf('/etc/group', 'postdrop') };
  const wanted = entries.filter(([file, type]) => type === 'd' && /^\$(queue_directory\/[a-z]+|data_directory)$/.test(file ?? ''));
  if (wanted.length === 0 || ids.mail_owner === null || ids.setgid_group === null) return false;
  for (const [file, , owner, group, mode] of wanted) {
    const target = file === '$data_directory' ? path.join(dir, 'data') : path.join(queue, file!.slice('$queue_directory/'.length));
    mkdirSync(target);
    chmodSync(target, Number.parseInt(mode ?? '700', 8));
    chownSync(target, owner === '$mail_owner' ? ids.mail_owner : 0, group === '$setgid_group' ? ids.setgid_group : 0);
  }
  return true;
}

/** The numeric id of a user or group, from /etc/passwd or /etc/group. */
function idOf(file: string, name: string): number | null {
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  const id = Number.parseInt(line?.split(':')[2] ?? '', 10);
  return Number.isInteger(id) ? id : null;
}

/**
 * Postfix reads a configuration file only once it is a couple of seconds old (a younger file may be
 * mid-edit: it sleeps and reads it again), which would cost every new instance 2 s at start.
 */
function backdate(config: string): void {
  const past = new Date(Date.now() - 60_000);
  for (const file of readdirSync(config)) utimesSync(path.join(config, file), past, past);
}

function readLog(dir: string): string {
  try {
    return readFileSync(path.join(dir, 'maillog'), 'utf8');
  } catch {
    return '';
  }
}

function masterPid(dir: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path.join(dir, 'queue', 'pid', 'master.pid'), 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Waits for the master to exit, then kills what is left of its process group (the master is a
 * session leader; its daemons share its group) and waits for that too. A zombie counts as exited:
 * reaping it is init's job.
 */
async function killInstance(dir: string): Promise<void> {
  const pid = masterPid(dir);
  if (pid === null) return;
  const deadline = Date.now() + STOP_GRACE_MS;
  while (groupMembers(pid).includes(pid) && Date.now() < deadline) await sleep(50);
  if (groupMembers(pid).length === 0) return;
  signalGroup(pid, 'SIGKILL');
  while (groupMembers(pid).length > 0 && Date.now() < deadline + STOP_GRACE_MS) await sleep(20);
}

/** The live (not zombie) processes of a process group, from /proc. */
function groupMembers(group: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After "pid (comm) ": state, ppid, pgrp.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z' && Number(pgrp) === group) members.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return members;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone.
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
