#!/usr/bin/env node
/**
 * The mailsight command line: serve, demo, instrument, keys, users, migrate, recount, lists, suppressions.
 * Each command reads the configuration through compose/config and nothing else.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { MailsightError } from './core/errors.js';
import { InstrumentError } from './core/instrument/index.js';
import { serveCommand } from './cli/serve.js';
import { demoCommand } from './cli/demo.js';
import { instrumentCommand } from './cli/instrument.js';
import { keysCommand, migrateCommand, recountCommand } from './cli/admin.js';
import { listsCommand } from './cli/lists.js';
import { ingestMailCommand } from './cli/ingest-mail.js';
import { suppressionsCommand } from './cli/suppressions.js';
import { usersCommand } from './cli/users.js';
import { networkListDirs } from './compose.js';
import { NetworkListError } from './core/nhi/network-list.js';
import { SecretKeyError } from './core/secret-key.js';

const USAGE = `usage: mailsight <command> [options]

commands:
  serve                       run the tracking endpoints and the API on one port
  demo [--port N] [--contacts N]
                              fresh SQLite database, local SMTP sink, a newsletter sent to generated
                              contacts, opens and clicks played back; prints the counts, keeps serving
  instrument <file.html> [--text <file.txt>] [--json] [--base-url URL] [--honeypot]
                              instrument a message offline and print the result
  keys create [--name NAME] [--scope admin|reports|ingest]
                              create an API key (printed once); scope admin by default
  keys list                   every API key with its scope, last use and revocation
  keys revoke <id>            revoke an API key
  keys rotate-signing         add a new signing key for tracking tokens (old tokens keep working)
  keys rotate-secret          seal every signing key again under SECRET_KEY (or SECRET_KEY_FILE),
                              opening them with it or with SECRET_KEY_PREVIOUS (see README)
  users create --email E --role admin|editor|viewer [--name N]
                              create a user; the password comes from MAILSIGHT_PASSWORD, is typed at a
                              terminal, or is generated and printed once
  users list                  every user
  users set-password --email E
                              set a user's password (read as for create); signs its sessions out
  users delete --email E      delete a user and sign it out everywhere
  migrate                     bring the database schema up to date
  recount [--campaign ID] [--check]
                              rebuild the report counters from the events and say what was fixed
                              (--check: only say what differs; exit status 1 if anything does)
  lists import-apple <csv> [--out FILE] [--source TEXT]
                              import Apple's egress CSV (Apple Mail Privacy Protection) as a network list
  lists show <ip>             which network lists contain an address
  ingest-mail <file|dir|mbox|maildir>...
                              read bounce and complaint mail collected elsewhere (DSN, ARF, auto-replies)
                              and record what it reports; safe to run again over the same mail
  suppressions list [--reason R] [--state active|expired|all] [--prefix P] [--after EMAIL] [--limit N] [--json]
  suppressions add <email> [--reason R] [--note TEXT] [--expires DATE | --days N]
  suppressions remove <email> [--note TEXT]
  suppressions import <file.csv>
  suppressions export [file.csv] [--all]
                              the suppression list; each change audited as cli:<os user>

configuration comes from environment variables (see README): PORT, HOST, PUBLIC_URL, DATA_DIR,
DATABASE_URL, SECRET_KEY, SECRET_KEY_FILE, TRUSTED_PROXIES, SELF_NETWORKS, NETWORK_LISTS_DIR, IP_STORAGE, SMTP_URL, MAIL_FROM,
EXCLUDED_DESTINATIONS, SUPPRESS_HARD_BOUNCE_DAYS, SUPPRESS_SOFT_BOUNCES, SUPPRESS_SOFT_BOUNCE_DAYS, LOG_LEVEL, ...`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serveCommand(parseArgs({ args: rest, options: { port: { type: 'string' } } }).values);
    case 'demo':
      return demoCommand(
        parseArgs({ args: rest, options: { port: { type: 'string' }, contacts: { type: 'string' }, 'data-dir': { type: 'string' }, 'no-serve': { type: 'boolean' } } }).values,
      );
    case 'instrument': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { text: { type: 'string' }, json: { type: 'boolean' }, 'base-url': { type: 'string' }, honeypot: { type: 'boolean' } },
      });
      return instrumentCommand(positionals, values);
    }
    case 'keys': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { name: { type: 'string' }, scope: { type: 'string' } } });
      return keysCommand(positionals, values);
    }
    case 'users': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { email: { type: 'string' }, role: { type: 'string' }, name: { type: 'string' } } });
      return usersCommand(positionals, values);
    }
    case 'migrate':
      return migrateCommand();
    case 'recount':
      return recountCommand(parseArgs({ args: rest, options: { campaign: { type: 'string' }, check: { type: 'boolean' } } }).values);
    case 'ingest-mail':
      return ingestMailCommand(parseArgs({ args: rest, allowPositionals: true, options: {} }).positionals);
    case 'lists': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { out: { type: 'string' }, source: { type: 'string' } } });
      return listsCommand(positionals, values, networkListDirs(loadConfig()));
    }
    case 'suppressions': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          reason: { type: 'string' },
          state: { type: 'string' },
          prefix: { type: 'string' },
          after: { type: 'string' },
          limit: { type: 'string' },
          json: { type: 'boolean' },
          note: { type: 'string' },
          expires: { type: 'string' },
          days: { type: 'string' },
          all: { type: 'boolean' },
        },
      });
      return suppressionsCommand(positionals, values);
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`mailsight: unknown command '${command}'\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== -1) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof MailsightError || error instanceof InstrumentError || error instanceof NetworkListError || error instanceof SecretKeyError) {
      console.error(`mailsight: ${error.message}`);
    } else if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`mailsight: ${error.message}\n\n${USAGE}`);
    } else {
      console.error(error);
    }
    process.exitCode = 1;
  },
);
