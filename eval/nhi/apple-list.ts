/** Where the Apple egress list (MPP and Private Relay addresses) is read from, for the generator and its tests. */
import { existsSync, readFileSync } from 'node:fs';
import { parseCidrList, type Cidr } from './cidr.js';

/** The product's own list when it exists, else the shared snapshot of Apple's published CSV. */
const APPLE_LIST_CANDIDATES = ['networks/apple-mpp.txt', '/work/shared/data/apple-private-relay-egress.txt'];

export function loadAppleEgress(explicitPath?: string): { path: string; ranges: Cidr[] } {
  const path = explicitPath ?? APPLE_LIST_CANDIDATES.find((p) => existsSync(p));
  if (!path) throw new Error(`no Apple egress list found (tried ${APPLE_LIST_CANDIDATES.join(', ')}); pass --apple-ranges <file>`);
  return { path, ranges: parseCidrList(readFileSync(path, 'utf8')) };
}
