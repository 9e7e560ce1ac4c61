/**
 * Network lists from directories of `*.txt` files: the lists shipped in `networks/`, then the
 * operator's own directory, whose lists replace shipped ones of the same name. LiveNetworkIndex
 * polls the directories and swaps in a new index when a file changes, so an operator can refresh a
 * list without a restart; a file that no longer parses keeps its last good version in service.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage, ioErrorText } from '../../core/errors.js';
import { NetworkIndex, networkListFromCidrs, parseNetworkList, type NetworkList } from '../../core/nhi/network-list.js';

/**
 * How often the directories are checked, in milliseconds; an edit takes effect within two intervals
 * (a changed file is read once it has stayed the same for one). A stat per file every 5 s costs
 * nothing measurable; fs.watch is not used because it misses events on network filesystems and in
 * some containers, and fires several times per save elsewhere.
 */
export const DEFAULT_RELOAD_INTERVAL_MS = 5_000;

/**
 * The `networks/` directory shipped at the package root. Found by walking up from this file rather
 * than by a fixed `../` count, because the same code runs compiled (dist/src/adapters/...) and from
 * source under vitest (src/adapters/...), one level apart.
 */
export function shippedNetworksDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'networks'))) return path.join(dir, 'networks');
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no networks/ directory beside a package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The sender's own networks from the SELF_NETWORKS setting, as a list beside networks/self.txt (not replacing it). */
export function selfNetworkList(cidrs: readonly string[]): NetworkList {
  const header = { name: 'self-config', reason: 'net:self', kind: 'self', scope: 'both', strength: 'certain', source: 'SELF_NETWORKS setting' } as const;
  return networkListFromCidrs(header, cidrs, 'SELF_NETWORKS');
}

/** The live index over `dirs` and the SELF_NETWORKS list, loaded now and then polled for changes. */
export async function startNetworkIndex(options: { dirs: string[]; selfNetworks: readonly string[]; intervalMs: number; onError: (message: string) => void }): Promise<LiveNetworkIndex> {
  const live = new LiveNetworkIndex({
    dirs: options.dirs,
    extraLists: options.selfNetworks.length > 0 ? [selfNetworkList(options.selfNetworks)] : [],
    intervalMs: options.intervalMs,
    onError: options.onError,
  });
  await live.refresh();
  live.start();
  return live;
}

export interface LoadedLists {
  lists: NetworkList[];
  /** One message per file or directory that could not be used, naming it and why. */
  errors: string[];
}

/** Reads every `*.txt` of the directories once; later directories win on a list name. */
export async function loadNetworkLists(dirs: readonly string[]): Promise<LoadedLists> {
  const errors: string[] = [];
  const once = new LiveNetworkIndex({ dirs, onError: (message) => errors.push(message) });
  await once.refresh();
  return { lists: [...once.lists], errors };
}

export interface LiveNetworkIndexOptions {
  dirs: readonly string[];
  /** Lists from configuration, always included; they replace file lists of the same name. */
  extraLists?: readonly NetworkList[];
  intervalMs?: number;
  /** Called once per new problem (a file that fails to parse is reported once, not on every poll). */
  onError?: (message: string) => void;
  /** Called after a new index is swapped in. */
  onReload?: (index: NetworkIndex) => void;
}

/**
 * The current NetworkIndex over some directories, kept fresh by polling. Typical use:
 * `const live = new LiveNetworkIndex(options); await live.refresh(); live.start();`
 * Readers take `live.current` per lookup; a reload replaces it whole, never edits it.
 */
export class LiveNetworkIndex {
  private index = new NetworkIndex([]);
  /** The lists behind `index`, to tell whether a poll changed anything. */
  private loadedLists: readonly NetworkList[] = [];
  /** Per file path: what was last seen and the last version that parsed. */
  private files = new Map<string, FileState>();
  private reported = new Set<string>();
  private loaded = false;
  private pending: Promise<boolean> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Bumped by start and stop, so a poll finishing after a stop does not schedule another. */
  private generation = 0;
  private readonly intervalMs: number;

  constructor(private readonly options: LiveNetworkIndexOptions) {
    this.intervalMs = options.intervalMs ?? DEFAULT_RELOAD_INTERVAL_MS;
  }

  /** The index as of the last reload; an empty index until the first refresh completes. */
  get current(): NetworkIndex {
    return this.index;
  }

  /** The lists in `current`, in index order. */
  get lists(): readonly NetworkList[] {
    return this.loadedLists;
  }

  /** Checks the directories now; resolves to whether a new index was swapped in. */
  refresh(): Promise<boolean> {
    this.pending ??= this.poll().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  /** Polls every `intervalMs` (the first poll at once if nothing was loaded yet). Does not hold the process open. */
  start(): void {
    if (this.timer !== null) return;
    const generation = ++this.generation;
    const tick = () => {
      this.refresh()
        .catch((error: unknown) => this.options.onError?.(`network lists: reload failed: ${errorMessage(error)}`))
        .finally(() => {
          // A stop (and maybe a new start) while this poll ran: the newer timer, if any, carries on.
          if (generation === this.generation) this.schedule(tick, this.intervalMs);
        });
    };
    this.schedule(tick, this.loaded ? this.intervalMs : 0);
  }

  stop(): void {
    this.generation++;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(tick: () => void, delayMs: number): void {
    this.timer = setTimeout(tick, delayMs);
    this.timer.unref();
  }

  private async poll(): Promise<boolean> {
    const errors: string[] = [];
    const found: FoundList[] = [];
    const seen = new Map<string, FileState>();
    for (const [dirIndex, dir] of this.options.dirs.entries()) {
      let files: string[];
      try {
        files = await listFiles(dir);
      } catch (error) {
        errors.push(dirError(dir, error));
        continue;
      }
      for (const file of files) {
        const state = await this.fileState(file);
        if (state === null) continue;
        seen.set(file, state);
        if (state.error !== null) errors.push(state.error);
        if (state.list !== null) found.push({ dirIndex, file, list: state.list });
      }
    }
    this.files = seen;

    const combined = combineLists(found, this.options.extraLists ?? []);
    this.report([...errors, ...combined.errors]);
    const changed = !this.loaded || combined.lists.length !== this.loadedLists.length || combined.lists.some((list, i) => list !== this.loadedLists[i]);
    this.loaded = true;
    if (!changed) return false;
    this.loadedLists = combined.lists;
    this.index = new NetworkIndex(combined.lists);
    this.options.onReload?.(this.index);
    return true;
  }

  /**
   * The previous state when the file is unchanged; null if it vanished. After the first load, a
   * changed file is read only once two polls in a row see the same stamp: an editor or `cp` may be
   * half-way through writing it, and a truncated list can even parse (half the ranges, silently).
   */
  private async fileState(file: string): Promise<FileState | null> {
    let stamp: string;
    try {
      const s = await stat(file);
      // The inode catches a same-size replacement by rename within one mtime tick.
      stamp = `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch {
      return null;
    }
    const previous = this.files.get(file) ?? { stamp: null, pendingStamp: null, list: null, error: null };
    if (previous.stamp === stamp) return previous;
    if (this.loaded && previous.pendingStamp !== stamp) return { ...previous, pendingStamp: stamp };
    try {
      return { stamp, pendingStamp: null, list: await readListFile(file), error: null };
    } catch (error) {
      const kept = previous.list;
      return { stamp, pendingStamp: null, list: kept, error: `${errorMessage(error)}${kept ? '; the previously loaded version stays in use' : ''}` };
    }
  }

  private report(errors: readonly string[]): void {
    for (const message of errors) if (!this.reported.has(message)) this.options.onError?.(message);
    this.reported = new Set(errors);
  }
}

interface FileState {
  /** mtime, size and inode when last read; null before the first read. */
  stamp: string | null;
  /** A newer stamp seen once, waiting for the next poll to confirm the file is no longer being written. */
  pendingStamp: string | null;
  /** The last version that parsed, if any. */
  list: NetworkList | null;
  error: string | null;
}

interface FoundList {
  dirIndex: number;
  file: string;
  list: NetworkList;
}

/**
 * Resolves names: a later directory replaces an earlier one's list of the same name, two files of
 * one directory may not share a name (the first by file name is kept), and extra lists win over all.
 */
function combineLists(found: readonly FoundList[], extraLists: readonly NetworkList[]): LoadedLists {
  const byName = new Map<string, FoundList>();
  const errors: string[] = [];
  for (const entry of found) {
    const existing = byName.get(entry.list.name);
    if (existing?.dirIndex === entry.dirIndex) {
      errors.push(`${entry.file}: list name '${entry.list.name}' is already used by ${existing.file}; this file is ignored`);
      continue;
    }
    byName.delete(entry.list.name);
    byName.set(entry.list.name, entry);
  }
  const extraNames = new Set(extraLists.map((l) => l.name));
  const lists = [...byName.values()].map((e) => e.list).filter((l) => !extraNames.has(l.name));
  return { lists: [...lists, ...extraLists], errors };
}

/** The `*.txt` files of a directory, sorted; hidden files (editor and import temporaries) are skipped. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.txt') && !e.name.startsWith('.'))
    .map((e) => path.join(dir, e.name))
    .sort();
}

async function readListFile(file: string): Promise<NetworkList> {
  return parseNetworkList(await readFile(file, 'utf8'), file);
}

function dirError(dir: string, error: unknown): string {
  return `${dir}: cannot read the network list directory (${ioErrorText(error)})`;
}
