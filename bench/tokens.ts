/**
 * `npm run bench:tokens`: what signing and verifying one tracking token costs, version 1 (the message
 * id as it is) beside version 2 (the id masked with AES, the MAC as IV: message-id-mask.ts), in the same run, with their
 * lengths. Verification is what a tracking hit pays on a miss of the verified-token cache
 * (src/app/tracking.ts); signing is what creating a message pays per tracked URL.
 *
 * Tokens are click tokens (the longest kind) for ids around a million, signed before timing for the
 * verification rounds; each figure is the median of ROUNDS rounds, in which the versions alternate.
 */
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Keyring, signToken, verifyToken, TOKEN_VERSIONS, type TokenClaims, type TokenVersion } from '../src/core/tokens.js';
import { median } from './support/stats.js';

const TOKENS_PER_ROUND = 100_000;
const ROUNDS = 7;
const FIRST_MESSAGE_ID = 1_000_000;

const keyring = new Keyring([{ id: 1, secret: randomBytes(32) }]);
const claims: TokenClaims[] = Array.from({ length: TOKENS_PER_ROUND }, (_, i) => ({ kind: 'click', messageId: FIRST_MESSAGE_ID + i, ordinal: (i % 5) + 1 }));

/** Microseconds per call of `work` over every claim, in one pass. */
function timePerToken(work: (i: number) => void): number {
  const start = performance.now();
  for (let i = 0; i < TOKENS_PER_ROUND; i++) work(i);
  return ((performance.now() - start) * 1000) / TOKENS_PER_ROUND;
}

interface Timed {
  version: TokenVersion;
  tokens: string[];
  sign: number[];
  verify: number[];
}

const timed: Timed[] = TOKEN_VERSIONS.map((version) => ({ version, tokens: claims.map((c) => signToken(keyring, c, version)), sign: [], verify: [] }));
for (const t of timed) {
  // A warm-up pass of each, so both versions are timed with optimized code, and a check that they verify.
  const failures = t.tokens.filter((token, i) => {
    signToken(keyring, claims[i]!, t.version);
    return !verifyToken(keyring, token, 'click').ok;
  }).length;
  if (failures > 0) throw new Error(`${failures} version ${t.version} tokens did not verify`);
}
// Versions alternate within each round, so that whatever else the machine does falls on both alike.
for (let round = 0; round < ROUNDS; round++) {
  for (const t of timed) t.sign.push(timePerToken((i) => signToken(keyring, claims[i]!, t.version)));
  for (const t of timed) t.verify.push(timePerToken((i) => verifyToken(keyring, t.tokens[i]!, 'click')));
}

console.log(`click tokens for message ids ${FIRST_MESSAGE_ID}..${FIRST_MESSAGE_ID + TOKENS_PER_ROUND - 1}, median of ${ROUNDS} rounds of ${TOKENS_PER_ROUND}; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`);
console.log('version  length  sign (us/token)  verify (us/token)');
for (const t of timed) {
  console.log(`${String(t.version).padEnd(7)}  ${String(t.tokens[0]!.length).padStart(6)}  ${median(t.sign).toFixed(2).padStart(15)}  ${median(t.verify).toFixed(2).padStart(17)}`);
}
const [v1, v2] = timed as [Timed, Timed];
const extra = (a: number[], b: number[]) => median(b.map((value, i) => value - a[i]!)).toFixed(2);
console.log(`version 2 costs ${extra(v1.sign, v2.sign)} us more to sign and ${extra(v1.verify, v2.verify)} us more to verify (a verified-token cache miss), median of the rounds' differences`);
