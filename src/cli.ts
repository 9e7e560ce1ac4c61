#!/usr/bin/env node
/**
 * The mailsight command line: serve, demo, instrument, keys, migrate.
 * Each command reads the configuration through compose/config and nothing else.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from './config.js';
import { MailsightError } from './core/errors.js';
import { InstrumentError } from './core/instrument/index.js';
import { serveCommand } from './cli/serve.js';
import { demoCommand } from './cli/demo.js';
import { instrumentCommand } from './cli/instrument.js';
import { keysCommand, migrateCommand } from './cli/admin.js';

const USAGE = `usage: mailsight <command> [options]

commands:
  serve                       run the tracking endpoints and the API on one port
  demo [--port N] [--contacts N]
                              fresh SQLite database, local SMTP sink, a newsletter sent to generated
                              contacts, opens and clicks played back; prints the counts, keeps serving
  instrument <file.html> [--text <file.txt>] [--json] [--base-url URL] [--honeypot]
                              instrument a message offline and print the result
  keys create [--name NAME]   create an API key (printed once)
  keys rotate-signing         add a new signing key for tracking tokens (old tokens keep working)
  migrate                     bring the database schema up to date

configuration comes from environment variables (see README): PORT, HOST, PUBLIC_URL, DATA_DIR,
DATABASE_URL, TRUSTED_PROXIES, SMTP_URL, MAIL_FROM, EXCLUDED_DESTINATIONS, LOG_LEVEL, ...`;

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
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { name: { type: 'string' } } });
      return keysCommand(positionals, values);
    }
    case 'migrate':
      return migrateCommand();
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
    if (error instanceof ConfigError || error instanceof MailsightError || error instanceof InstrumentError) {
      console.error(`mailsight: ${error.message}`);
    } else if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`mailsight: ${error.message}\n\n${USAGE}`);
    } else {
      console.error(error);
    }
    process.exitCode = 1;
  },
);
