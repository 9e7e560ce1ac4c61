import { loadConfig, type Config } from '../config.js';
import { build, startInboundSmtp } from '../compose.js';
import { parseCidr, parseIp, rangeContains } from '../core/nhi/ip-address.js';

/** Runs until SIGINT/SIGTERM, then stops taking requests and flushes every accepted hit. */
export async function serveCommand(flags: { port?: string }): Promise<number> {
  const config = loadConfig(process.env, { PORT: flags.port });
  const built = await build({ config });
  const { app } = built;
  // Before listen: the receiver is closed by a hook of the server, and hooks are added before it starts.
  const receiver = await startInboundSmtp(built, config);
  await app.listen({ port: config.port, host: config.host });
  app.log.info({ publicUrl: config.publicUrl, database: config.database.dialect }, 'mailsight serving');
  if (receiver) app.log.info({ port: receiver.port, domains: config.inboundSmtp!.domains }, 'taking bounce and complaint mail over SMTP');
  app.log.info(sendingSummary(config));
  const warning = publicUrlWarning(config);
  if (warning) app.log.warn(warning);
  await waitForSignal();
  await app.close();
  return 0;
}

/** What sending does on this node, for the start's log: the relay (never its credentials), VERP and the limits. */
export function sendingSummary(config: Pick<Config, 'smtpUrl' | 'bounceDomain' | 'sending'>): string {
  if (!config.smtpUrl) return 'sending: no relay (SMTP_URL unset); messages are only rendered for the sender to send';
  const relay = new URL(config.smtpUrl);
  const { concurrency, ratePerMinute, pollMs } = config.sending;
  return (
    `sending through ${relay.protocol}//${relay.host}, ` +
    `${config.bounceDomain ? `VERP return paths at ${config.bounceDomain}` : 'bounces to MAIL_FROM (BOUNCE_DOMAIN unset)'}, ` +
    `${concurrency} at once, ${ratePerMinute} a minute, ${pollMs > 0 ? `worker every ${pollMs} ms` : 'no worker (SEND_POLL=0)'}`
  );
}

/** Addresses of this machine only, read by the one IP parser (an IPv4-mapped 127.x is one too). */
const LOOPBACK = ['127.0.0.0/8', '::1'].map(parseCidr);

/** A name or address of this machine only: localhost, *.localhost, 127.0.0.0/8, ::1. */
function isLoopback(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  const address = parseIp(name);
  return address !== null && LOOPBACK.some((range) => rangeContains(range, address));
}

/**
 * A warning when the server listens beyond this machine but its tracking links point at it (the
 * default PUBLIC_URL is http://localhost:PORT): every link sent would fail for its recipient.
 */
export function publicUrlWarning(config: Pick<Config, 'host' | 'publicUrl'>): string | null {
  if (isLoopback(config.host) || !isLoopback(new URL(config.publicUrl).hostname)) return null;
  return (
    `PUBLIC_URL is ${config.publicUrl} while the server listens on ${config.host}: ` +
    'the tracking links in messages will point at localhost, which recipients cannot reach; ' +
    'set PUBLIC_URL to the address they reach, e.g. https://track.example.com'
  );
}

export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
