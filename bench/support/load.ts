/**
 * Load with autocannon, in slices whose results add up: a benchmark on a shared machine interleaves
 * short slices against each target, so that both see the same background noise.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import autocannon from 'autocannon';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on every Linux build in use). */
const USER_HZ = 100;

/** One request of the rotation: a path and the headers it adds to the slice's. */
export interface LoadRequest {
  path: string;
  headers?: Readonly<Record<string, string>>;
}

export interface LoadSlice {
  baseUrl: string;
  /** Rotated through: each request sent is the next one. */
  requests: readonly LoadRequest[];
  connections: number;
  seconds: number;
  headers: Record<string, string>;
  /** The server process, to measure the CPU time it spends (Linux only). */
  serverPid?: number;
}

/** What one slice saw. */
export interface SliceResult {
  seconds: number;
  /** 2xx and 3xx responses: for a tracking endpoint, hits the server acknowledged. */
  acknowledged: number;
  /** Responses neither 2xx nor 3xx. */
  failed: number;
  /** Connection errors and timeouts. */
  errors: number;
  latenciesMs: number[];
  /** CPU time (user + system) the server process used during the slice; null where unknown. */
  serverCpuSeconds: number | null;
  /** The part of it used by the server's main thread (the event loop answering requests). */
  serverMainCpuSeconds: number | null;
  /** CPU time used by everything but the server and this process: noise, when it is not ~0. */
  otherCpuSeconds: number | null;
  /** CPU time this process (autocannon) used. */
  loadCpuSeconds: number;
}

export function responsesPerSecond(r: { seconds: number; acknowledged: number; failed: number }): number {
  return r.seconds === 0 ? 0 : (r.acknowledged + r.failed) / r.seconds;
}

/** What the slices run against one target saw, added up. */
export class LoadTally {
  slices = 0;
  seconds = 0;
  acknowledged = 0;
  failed = 0;
  errors = 0;
  /** Null once any slice could not measure it. */
  serverCpuSeconds: number | null = 0;
  serverMainCpuSeconds: number | null = 0;
  otherCpuSeconds: number | null = 0;
  loadCpuSeconds = 0;
  #latenciesMs: number[] = [];
  #sorted: Float64Array | null = null;

  /** Responses per second over the slices' whole duration. */
  get rps(): number {
    return responsesPerSecond(this);
  }

  /** Share of one core the server used, e.g. 0.95. */
  get serverCpuShare(): number | null {
    return this.serverCpuSeconds === null || this.seconds === 0 ? null : this.serverCpuSeconds / this.seconds;
  }

  /** Server CPU time per response, in microseconds. */
  get serverCpuPerResponseUs(): number | null {
    const responses = this.acknowledged + this.failed;
    return this.serverCpuSeconds === null || responses === 0 ? null : (this.serverCpuSeconds / responses) * 1e6;
  }

  /** Server CPU time per response of the main thread alone, in microseconds. */
  get serverMainCpuPerResponseUs(): number | null {
    const responses = this.acknowledged + this.failed;
    return this.serverMainCpuSeconds === null || responses === 0 ? null : (this.serverMainCpuSeconds / responses) * 1e6;
  }

  /** Latency percentile in ms (nearest rank), `p` from 0 to 100. */
  latency(p: number): number {
    this.#sorted ??= Float64Array.from(this.#latenciesMs).sort();
    if (this.#sorted.length === 0) return NaN;
    const rank = Math.min(this.#sorted.length - 1, Math.max(0, Math.ceil((p / 100) * this.#sorted.length) - 1));
    return this.#sorted[rank]!;
  }

  add(slice: SliceResult): void {
    this.slices += 1;
    this.seconds += slice.seconds;
    this.acknowledged += slice.acknowledged;
    this.failed += slice.failed;
    this.errors += slice.errors;
    this.serverCpuSeconds = sumOrNull(this.serverCpuSeconds, slice.serverCpuSeconds);
    this.serverMainCpuSeconds = sumOrNull(this.serverMainCpuSeconds, slice.serverMainCpuSeconds);
    this.otherCpuSeconds = sumOrNull(this.otherCpuSeconds, slice.otherCpuSeconds);
    this.loadCpuSeconds += slice.loadCpuSeconds;
    for (const ms of slice.latenciesMs) this.#latenciesMs.push(ms);
    this.#sorted = null;
  }
}

/**
 * Runs one slice. Pipelining stays at 1, so each connection has at most one request in flight.
 * Latencies are kept per response, at microsecond precision, for percentiles over all slices.
 */
export async function runSlice(slice: LoadSlice): Promise<SliceResult> {
  const latenciesMs: number[] = [];
  let next = 0;
  const before = cpuSnapshot(slice.serverPid);
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: slice.baseUrl,
        connections: slice.connections,
        duration: slice.seconds,
        headers: slice.headers,
        requests: [
          {
            method: 'GET',
            setupRequest: (request) => {
              const { path, headers } = slice.requests[next++ % slice.requests.length]!;
              return { ...request, path, headers: headers ? { ...request.headers, ...headers } : request.headers };
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => latenciesMs.push(responseTime));
  });
  const after = cpuSnapshot(slice.serverPid);
  const server = after.server === null || before.server === null ? null : after.server - before.server;
  const serverMain = after.serverMain === null || before.serverMain === null ? null : after.serverMain - before.serverMain;
  return {
    seconds: result.duration,
    acknowledged: result['2xx'] + result['3xx'],
    failed: result['1xx'] + result['4xx'] + result['5xx'],
    errors: result.errors,
    latenciesMs,
    serverCpuSeconds: server,
    serverMainCpuSeconds: serverMain,
    otherCpuSeconds: server === null ? null : Math.max(0, after.machine - before.machine - (after.self - before.self) - server),
    loadCpuSeconds: after.self - before.self,
  };
}

export function sumOrNull(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a + b;
}

/** CPU seconds used so far by the whole machine, this process and the server. */
function cpuSnapshot(serverPid: number | undefined): { machine: number; self: number; server: number | null; serverMain: number | null } {
  const machineMs = os.cpus().reduce((sum, { times }) => sum + times.user + times.nice + times.sys + times.irq, 0);
  const self = process.cpuUsage();
  return {
    machine: machineMs / 1000,
    self: (self.user + self.system) / 1e6,
    server: cpuSeconds(serverPid === undefined ? null : `/proc/${serverPid}/stat`),
    // The main thread's id is the process id.
    serverMain: cpuSeconds(serverPid === undefined ? null : `/proc/${serverPid}/task/${serverPid}/stat`),
  };
}

/** User + system CPU seconds of a process or thread so far, from its /proc stat file; null without one (or off Linux). */
function cpuSeconds(statFile: string | null): number | null {
  if (statFile === null) return null;
  try {
    // Fields after the parenthesised command name: state is the 1st, utime the 12th, stime the 13th.
    const fields = readFileSync(statFile, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return null;
  }
}
