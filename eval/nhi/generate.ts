/**
 * CLI: writes labelled NHI scenarios as JSON lines.
 *   npm run gen:nhi -- --seed N --messages M [--out file] [--apple-ranges file]
 * The Apple egress list is read from --apple-ranges, else networks/apple-mpp.txt, else the shared
 * snapshot; the output is deterministic for a seed and a list.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadAppleEgress } from './apple-list.js';
import { generateScenarios, summarize } from './generate-scenarios.js';
import { toJsonLines } from './scenario-schema.js';

function main(): void {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      messages: { type: 'string', default: '1000' },
      out: { type: 'string' },
      'apple-ranges': { type: 'string' },
    },
  });
  const seed = Number(values.seed);
  const messages = Number(values.messages);
  if (!Number.isInteger(seed) || !Number.isInteger(messages) || messages < 1) {
    console.error('usage: generate --seed <integer> --messages <positive integer> [--out file] [--apple-ranges file]');
    process.exit(2);
  }
  const { ranges } = loadAppleEgress(values['apple-ranges']);
  const scenarios = generateScenarios({ seed, messages, appleEgress: ranges });
  const text = toJsonLines(scenarios);
  if (values.out) writeFileSync(values.out, text);
  else process.stdout.write(text);
  console.error(summarize(scenarios));
}

main();
