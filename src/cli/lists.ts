/**
 * `mailsight lists`: maintain the network lists.
 *   import-apple <csv> [--out FILE] [--source TEXT]   Apple's egress CSV -> apple-mpp.txt
 *   show <ip>                                          which lists contain an address
 * `listDirs` are the directories the server loads, in order; the import writes into the last one,
 * so with an operator directory configured the fresh list replaces the shipped one by name.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { appleEgressCsvToList } from '../core/nhi/apple-egress.js';
import { formatIp, parseIp } from '../core/nhi/ip-address.js';
import { NetworkIndex, NetworkListError, parseNetworkList } from '../core/nhi/network-list.js';
import { loadNetworkLists, shippedNetworksDir } from '../adapters/network-lists/network-lists.js';

const USAGE = `usage: mailsight lists import-apple <egress-ip-ranges.csv> [--out FILE] [--source TEXT]
       mailsight lists show <ip>`;

const APPLE_CSV_URL = 'https://mask-api.icloud.com/egress-ip-ranges.csv';

export async function listsCommand(
  positionals: string[],
  values: { out?: string; source?: string },
  listDirs: readonly string[] = [shippedNetworksDir()],
): Promise<number> {
  const [subcommand, ...args] = positionals;
  switch (subcommand) {
    case 'import-apple':
      return importApple(args, values, listDirs);
    case 'show':
      return show(args, listDirs);
    default:
      console.error(USAGE);
      return 2;
  }
}

async function importApple(args: string[], values: { out?: string; source?: string }, listDirs: readonly string[]): Promise<number> {
  const [csvFile, ...extra] = args;
  const targetDir = listDirs[listDirs.length - 1];
  if (csvFile === undefined || extra.length > 0 || (values.out === undefined && targetDir === undefined)) {
    console.error(USAGE);
    return 2;
  }
  const out = values.out ?? path.join(targetDir!, 'apple-mpp.txt');
  const source = values.source ?? `${APPLE_CSV_URL} (file ${path.basename(csvFile)}, imported ${new Date().toISOString().slice(0, 10)})`;
  let text: string;
  try {
    text = appleEgressCsvToList(await readFile(csvFile, 'utf8'), source, csvFile);
  } catch (error) {
    if (!(error instanceof NetworkListError)) throw error;
    console.error(`mailsight lists: ${error.message}`);
    return 1;
  }
  // Parsing our own output proves the file will load, and gives the counts to print.
  const ranges = parseNetworkList(text, out).ranges;
  const v4 = ranges.filter((r) => r.family === 4).length;

  // Write beside the target and rename: a polling server never reads half a file. The temporary
  // name starts with a dot and does not end in .txt, so the loader ignores it.
  await mkdir(path.dirname(out), { recursive: true });
  const temporary = path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}.tmp`);
  await writeFile(temporary, text);
  await rename(temporary, out);
  console.log(`imported ${ranges.length} ranges (${v4} IPv4, ${ranges.length - v4} IPv6) into ${out}`);
  return 0;
}

async function show(args: string[], listDirs: readonly string[]): Promise<number> {
  const [ip, ...extra] = args;
  const address = ip === undefined ? null : parseIp(ip);
  if (address === null || extra.length > 0) {
    console.error(ip === undefined || extra.length > 0 ? USAGE : `mailsight lists: '${ip}' is not an IPv4 or IPv6 address`);
    return 2;
  }
  const { lists, errors } = await loadNetworkLists(listDirs);
  for (const message of errors) console.error(`mailsight lists: ${message}`);
  const matches = new NetworkIndex(lists).matchAddress(address);
  console.log(`${formatIp(address)}: ${matches.length === 0 ? `in none of ${lists.length} lists` : `in ${matches.length} of ${lists.length} lists`}`);
  for (const m of matches) console.log(`  ${m.name.padEnd(20)} ${m.kind.padEnd(9)} ${m.scope.padEnd(6)} ${m.strength.padEnd(8)} ${m.reason}${m.readerImages ? '  (reader images)' : ''}`);
  return errors.length > 0 ? 1 : 0;
}
