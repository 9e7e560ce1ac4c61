/**
 * CLI: writes labelled NHI scenarios as JSON lines.
 *   npm run gen:nhi -- --seed N --messages M [--families all|a,b] [--family-messages K] [--out file] [--apple-ranges file]
 * --families adds K messages of each named scenario family (scenario-families.ts) after the M of the
 * traffic model, which stay the same for a seed; --messages 0 with a family gives that family alone.
 * The Apple egress list is read from --apple-ranges, else networks/apple-mpp.txt, else the shared
 * snapshot; the output is deterministic for a seed and a list.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadAppleEgress } from './apple-list.js';
import { generateScenarios, summarize } from './generate-scenarios.js';
import { AddressBook } from './networks.js';
import { Rng } from './prng.js';
import { FAMILIES, familyScenarios, type Family } from './scenario-families.js';
import { toJsonLines } from './scenario-schema.js';

function main(): void {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      messages: { type: 'string', default: '1000' },
      out: { type: 'string' },
      'apple-ranges': { type: 'string' },
      families: { type: 'string', default: '' },
      'family-messages': { type: 'string', default: '300' },
    },
  });
  const seed = Number(values.seed);
  const messages = Number(values.messages);
  const perFamily = Number(values['family-messages']);
  const names = values.families === 'all' ? [...FAMILIES] : values.families.split(',').map((f) => f.trim()).filter(Boolean);
  const unknown = names.filter((f) => !(FAMILIES as readonly string[]).includes(f));
  if (!Number.isInteger(seed) || !Number.isInteger(messages) || messages < 0 || (messages === 0 && names.length === 0) || !Number.isInteger(perFamily) || perFamily < 1 || unknown.length > 0) {
    console.error(
      `${unknown.length > 0 ? `unknown families: ${unknown.join(', ')}\n` : ''}usage: generate --seed <integer> --messages <count, 0 with --families> ` +
        `[--families all|${FAMILIES.join(',')}] [--family-messages <positive integer>] [--out file] [--apple-ranges file]`,
    );
    process.exit(2);
  }
  const { ranges } = loadAppleEgress(values['apple-ranges']);
  const scenarios = messages > 0 ? generateScenarios({ seed, messages, appleEgress: ranges }) : [];
  const book = new AddressBook(ranges);
  // Each family draws from its own stream: switching one on or off changes no other.
  for (const family of names as Family[]) {
    scenarios.push(...familyScenarios(new Rng(seed * 1_000 + FAMILIES.indexOf(family) + 1), book, family, perFamily));
  }
  const text = toJsonLines(scenarios);
  if (values.out) writeFileSync(values.out, text);
  else process.stdout.write(text);
  console.error(summarize(scenarios));
}

main();
