/**
 * Network lists: named sets of address ranges whose traffic is known not to be (only) a person, the
 * text format they are shipped and edited in, and the index that answers "which lists contain this
 * address" on every tracking hit.
 *
 * A match is evidence for the classifier, not a verdict: `scope` says which hits it applies to and
 * `strength` whether it may decide alone (certain) or only weigh with other signals (probable).
 */
import { mergeRanges, parseCidr, parseIp, rangeToCidrs, type IpAddress, type IpRange } from './ip-address.js';

/**
 * What the network does with a tracking URL:
 * - prefetch: fetches on the person's behalf without showing them anything (Apple MPP);
 * - scanner: a security gateway following links for nobody's attention;
 * - previewer: a chat or mail client building a link preview;
 * - proxy: fetches when the person looks, from the provider's network (image proxies);
 * - self: the sender's own offices and VPNs (tests, colleagues);
 * - cloud: a cloud or hosting provider's published space, where security products detonate links and
 *   fetch pixels, and where a few people sit too (VPN, virtual desktop, browser isolation): it says
 *   where a hit came from, never what it is, so it only ever weighs with another signal.
 */
export const NETWORK_KINDS = ['prefetch', 'scanner', 'previewer', 'proxy', 'self', 'cloud'] as const;
export type NetworkKind = (typeof NETWORK_KINDS)[number];

/** Which hits a list speaks about: a gateway's address on an open may be a person using webmail. */
export const NETWORK_SCOPES = ['opens', 'clicks', 'both'] as const;
export type NetworkScope = (typeof NETWORK_SCOPES)[number];

/** certain: the network only ever acts for machines; probable: browser isolation or NAT may hide a person. */
export const MATCH_STRENGTHS = ['certain', 'probable'] as const;
export type MatchStrength = (typeof MATCH_STRENGTHS)[number];

export interface NetworkListHeader {
  /** Unique among loaded lists; a later directory's list of the same name replaces an earlier one. */
  readonly name: string;
  /** The reason code a verdict carries when this list fires, e.g. `net:apple-mpp`. */
  readonly reason: string;
  readonly kind: NetworkKind;
  readonly scope: NetworkScope;
  readonly strength: MatchStrength;
  /** Where the ranges come from and when, free text. */
  readonly source: string | null;
  /**
   * A mail provider loads its readers' images from here (Outlook on the web from Microsoft's
   * networks), passing on the reader's browser's user agent but not their language: an open from here
   * without Accept-Language says nothing, and one whose user agent names no browser (blank, bare) is no
   * reader's. Absent means no.
   */
  readonly readerImages?: boolean;
}

export interface NetworkList extends NetworkListHeader {
  /** As listed (one per entry, possibly overlapping); the index merges them. */
  readonly ranges: readonly IpRange[];
}

export type NetworkMatch = Readonly<Pick<NetworkList, 'name' | 'reason' | 'kind' | 'scope' | 'strength' | 'readerImages'>>;

export class NetworkListError extends Error {
  override readonly name = 'NetworkListError';

  constructor(
    /** The file path or setting the list came from. */
    readonly origin: string,
    /** 1-based line in the file, or null when the list did not come from a file. */
    readonly line: number | null,
    readonly problem: string,
  ) {
    super(line === null ? `${origin}: ${problem}` : `${origin}:${line}: ${problem}`);
  }
}

const FIRST_LINE = '# mailsight network list';
const HEADER_FIELD = /^#\s*(name|reason|kind|scope|strength|source|reader-images)\s*:\s*(.*?)\s*$/;
type HeaderField = 'name' | 'reason' | 'kind' | 'scope' | 'strength' | 'source' | 'reader-images';
const YES_NO = ['yes', 'no'] as const;
type HeaderFields = { [K in HeaderField]?: string | null };
const REQUIRED_FIELDS = ['name', 'reason', 'kind', 'scope', 'strength'] as const;
const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * Parses the list file format (see networks/README.md): header fields as `# key: value` comments
 * before the first entry, then one address or CIDR per line; `#` starts a comment anywhere.
 * Throws NetworkListError naming `origin`, the line and the problem; nothing is returned half-read.
 */
export function parseNetworkList(text: string, origin: string): NetworkList {
  const fields: HeaderFields = {};
  const fieldLines = new Map<HeaderField, number>();
  const ranges: IpRange[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const [index, rawLine] of lines.entries()) {
    const lineNumber = index + 1;
    const line = rawLine.trim();
    if (line.startsWith('#')) {
      const field = ranges.length === 0 ? HEADER_FIELD.exec(line) : null;
      if (field) {
        const key = field[1] as HeaderField;
        if (fieldLines.has(key)) throw new NetworkListError(origin, lineNumber, `header field '${key}' is given twice (first on line ${fieldLines.get(key)})`);
        fields[key] = field[2]!;
        fieldLines.set(key, lineNumber);
      }
      continue;
    }
    const entry = stripComment(line);
    if (entry === '') continue;
    try {
      ranges.push(parseCidr(entry));
    } catch (error) {
      throw new NetworkListError(origin, lineNumber, `invalid entry: ${(error as Error).message}`);
    }
  }
  for (const key of REQUIRED_FIELDS) {
    if (fields[key] === undefined) {
      throw new NetworkListError(origin, 1, `missing header field '${key}' (a '# ${key}: ...' line before the first entry)`);
    }
  }
  const problem = headerProblem(fields);
  if (problem !== null) throw new NetworkListError(origin, fieldLines.get(problem.field) ?? 1, problem.message);
  const { 'reader-images': readerImages, source, ...required } = fields;
  return { ...(required as Omit<NetworkListHeader, 'source'>), source: source ? source : null, ...(readerImages === 'yes' ? { readerImages: true } : {}), ranges };
}

/**
 * A list from entries given elsewhere than a file, e.g. the operator's own networks in a setting.
 * Errors name `origin` and the 1-based entry.
 */
export function networkListFromCidrs(header: NetworkListHeader, cidrs: readonly string[], origin: string = header.name): NetworkList {
  const problem = headerProblem(header);
  if (problem !== null) throw new NetworkListError(origin, null, problem.message);
  const ranges = cidrs.map((cidr, index) => {
    try {
      return parseCidr(cidr.trim());
    } catch (error) {
      throw new NetworkListError(origin, null, `entry ${index + 1}: ${(error as Error).message}`);
    }
  });
  return { ...header, ranges };
}

/**
 * The file text for a list: the header, optional note lines (comments), then the ranges merged and
 * written as the fewest CIDR blocks, so the file says exactly what the index will match.
 */
export function formatNetworkList(list: NetworkList, notes: readonly string[] = []): string {
  const header = [
    FIRST_LINE,
    `# name: ${list.name}`,
    `# reason: ${list.reason}`,
    `# kind: ${list.kind}`,
    `# scope: ${list.scope}`,
    `# strength: ${list.strength}`,
    ...(list.source === null ? [] : [`# source: ${list.source}`]),
    ...(list.readerImages ? ['# reader-images: yes'] : []),
    ...notes.map((note) => `# ${note}`),
  ];
  if (header.some((line) => /[\r\n]/.test(line))) throw new NetworkListError(list.name, null, 'header values and notes must be single lines');
  const entries = mergeRanges(list.ranges).flatMap(rangeToCidrs);
  return `${[...header, ...entries].join('\n')}\n`;
}

const NO_MATCH: readonly NetworkMatch[] = Object.freeze([]);

/**
 * Answers which lists contain an address with one binary search per lookup, whatever the number of
 * lists: the address space of each family is cut into segments at every range boundary of every
 * list, and each segment points at the (shared, frozen) array of lists covering it. Built once per
 * reload; immutable afterwards, so a reload swaps the whole index.
 */
export class NetworkIndex {
  /** Segment starts, ascending, the first one 0; IPv4 fits a Uint32Array exactly. */
  private readonly v4Starts: Uint32Array;
  private readonly v4Sets: Uint32Array;
  private readonly v6Starts: readonly bigint[];
  private readonly v6Sets: Uint32Array;
  /** The distinct sets of matches; index 0 is the empty set. */
  private readonly matchSets: readonly (readonly NetworkMatch[])[];
  private readonly listCount: number;

  constructor(lists: readonly NetworkList[]) {
    const interner = new MatchSetInterner(lists);
    const v4 = buildSegments(
      lists.map((l) => l.ranges.filter((r) => r.family === 4).map((r) => [BigInt(r.first), BigInt(r.last)] as const)),
      V4_MAX,
      interner,
    );
    const v6 = buildSegments(
      lists.map((l) => l.ranges.flatMap((r) => (r.family === 6 ? [[r.first, r.last] as const] : []))),
      V6_MAX,
      interner,
    );
    this.v4Starts = Uint32Array.from(v4.starts, Number);
    this.v4Sets = Uint32Array.from(v4.setIds);
    this.v6Starts = v6.starts;
    this.v6Sets = Uint32Array.from(v6.setIds);
    this.matchSets = interner.sets;
    this.listCount = lists.length;
  }

  /** One entry per list containing `ip`, in the order the lists were given; [] for an unparseable ip. */
  match(ip: string): readonly NetworkMatch[] {
    const address = parseIp(ip);
    return address === null ? NO_MATCH : this.matchAddress(address);
  }

  matchAddress(address: IpAddress): readonly NetworkMatch[] {
    if (address.family === 4) return this.matchSets[this.v4Sets[lastAtOrBelow(this.v4Starts, address.value)]!]!;
    return this.matchSets[this.v6Sets[lastAtOrBelow(this.v6Starts, address.value)]!]!;
  }

  /** The number of lists indexed. */
  get size(): number {
    return this.listCount;
  }
}

const V4_MAX = 0xffffffffn;
const V6_MAX = (1n << 128n) - 1n;

/** The index of the last element <= value, in an ascending array whose first element is 0. */
function lastAtOrBelow<T extends number | bigint>(starts: ArrayLike<T>, value: T): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >>> 1;
    if (starts[mid]! <= value) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** Gives each distinct set of lists one frozen array of matches, so lookups never allocate. */
class MatchSetInterner {
  readonly sets: (readonly NetworkMatch[])[] = [NO_MATCH];
  private readonly ids = new Map<string, number>([['', 0]]);
  private readonly matches: readonly NetworkMatch[];

  constructor(lists: readonly NetworkList[]) {
    this.matches = lists.map(({ name, reason, kind, scope, strength, readerImages }) => Object.freeze({ name, reason, kind, scope, strength, ...(readerImages ? { readerImages } : {}) }));
  }

  /** The id of the set of lists whose count is positive. */
  idFor(counts: Int32Array): number {
    const members: number[] = [];
    for (let i = 0; i < counts.length; i++) if (counts[i]! > 0) members.push(i);
    const key = members.join(',');
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.sets.length;
      this.sets.push(Object.freeze(members.map((i) => this.matches[i]!)));
      this.ids.set(key, id);
    }
    return id;
  }
}

/**
 * Sweeps the boundaries of every list's ranges (bigint for both families: built once per reload, so
 * clarity beats speed here). A list's own overlapping entries are handled by counting, not merging.
 */
function buildSegments(
  perList: readonly (readonly (readonly [bigint, bigint])[])[],
  maxValue: bigint,
  interner: MatchSetInterner,
): { starts: bigint[]; setIds: number[] } {
  const events: { at: bigint; list: number; delta: 1 | -1 }[] = [];
  perList.forEach((ranges, list) => {
    for (const [first, last] of ranges) {
      events.push({ at: first, list, delta: 1 });
      if (last < maxValue) events.push({ at: last + 1n, list, delta: -1 });
    }
  });
  events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));

  const counts = new Int32Array(perList.length);
  const starts: bigint[] = [0n];
  const setIds: number[] = [0];
  for (let i = 0; i < events.length; ) {
    const at = events[i]!.at;
    for (; i < events.length && events[i]!.at === at; i++) counts[events[i]!.list]! += events[i]!.delta;
    const id = interner.idFor(counts);
    if (id === setIds[setIds.length - 1]) continue;
    if (starts[starts.length - 1] === at) setIds[setIds.length - 1] = id;
    else {
      starts.push(at);
      setIds.push(id);
    }
  }
  return { starts, setIds };
}

function stripComment(line: string): string {
  const hash = line.indexOf('#');
  return (hash === -1 ? line : line.slice(0, hash)).trim();
}

function headerProblem(fields: HeaderFields): { field: HeaderField; message: string } | null {
  const oneOf = (field: HeaderField, allowed: readonly string[]) =>
    allowed.includes(fields[field] ?? '') ? null : { field, message: `${field} must be one of ${allowed.join(', ')}, not '${fields[field] ?? ''}'` };
  if (!NAME_PATTERN.test(fields.name ?? '')) {
    return { field: 'name', message: `name must be 1-64 lower-case letters, digits, '.', '_' or '-' starting with a letter or digit, not '${fields.name ?? ''}'` };
  }
  if (!/^\S+$/.test(fields.reason ?? '')) return { field: 'reason', message: `reason must be one word such as net:${fields.name}, not '${fields.reason ?? ''}'` };
  const readerImages = fields['reader-images'] === undefined ? null : (oneOf('reader-images', YES_NO) ?? readerImagesKind(fields));
  return oneOf('kind', NETWORK_KINDS) ?? oneOf('scope', NETWORK_SCOPES) ?? oneOf('strength', MATCH_STRENGTHS) ?? readerImages;
}

/**
 * Only a mail provider's servers or its cloud load its readers' images for them: a prefetcher, an image
 * proxy, a previewer or the sender's own network marked so would say something the classifier does not weigh.
 */
const READER_IMAGE_KINDS: readonly NetworkKind[] = ['scanner', 'cloud'];

function readerImagesKind(fields: HeaderFields): { field: HeaderField; message: string } | null {
  if (fields['reader-images'] !== 'yes' || READER_IMAGE_KINDS.includes(fields.kind as NetworkKind)) return null;
  return { field: 'reader-images', message: `reader-images: yes is for lists of kind ${READER_IMAGE_KINDS.join(' or ')}, not '${fields.kind ?? ''}'` };
}
