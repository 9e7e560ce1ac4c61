/**
 * `npm run bench:tokens`: what signing and verifying one tracking token costs, version 1 (the message
 * id as it is) beside version 2 (the id through the keyed permutation), in the same run, with their
 * lengths. Verification is what a tracking hit pays on a miss of the verified-token cache
 * (src/app/tracking.ts); signing is what creating a message pays per tracked URL.
 *
 * Tokens are click tokens (the longest kind) for ids around a million, signed before timing for the
 * verification rounds; each figure is the median of ROUNDS rounds.
 */
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { Keyring, signToken, verifyToken, TOKEN_VERSIONS, type TokenClaims, type TokenVersion } from '../src/core/tokens.js';

const TOKENS_PER_ROUND = 100_000;
const ROUNDS = 7;
const FIRST_MESSAGE_ID = 1_000_000;

const keyring = new Keyring([{ id: 1, secret: randomBytes(32) }]);
const claims: TokenClaims[] = Array.from({ length: TOKENS_PER_ROUND }, (_, i) => ({ kind: 'click', messageId: FIRST_MESSAGE_ID + i, ordinal: (i % 5) + 1 }));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Microseconds per call of `work` over every claim, median of the rounds. */
function timePerToken(work: (i: number) => void): number {
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    for (let i = 0; i < TOKENS_PER_ROUND; i++) work(i);
    rounds.push(((performance.now() - start) * 1000) / TOKENS_PER_ROUND);
  }
  return median(rounds);
}

function measure(version: TokenVersion): { sign: number; verify: number; length: number } {
  const tokens = claims.map((c) => signToken(keyring, c, version));
  let failures = 0;
  // One warm-up pass of each, so both versions are timed with optimized code.
  for (let i = 0; i < TOKENS_PER_ROUND; i++) {
    signToken(keyring, claims[i]!, version);
    if (!verifyToken(keyring, tokens[i]!, 'click').ok) failures++;
  }
  if (failures > 0) throw new Error(`${failures} version ${version} tokens did not verify`);
  const sign = timePerToken((i) => signToken(keyring, claims[i]!, version));
  const verify = timePerToken((i) => verifyToken(keyring, tokens[i]!, 'click'));
  return { sign, verify, length: tokens[0]!.length };
}

console.log(`click tokens for message ids ${FIRST_MESSAGE_ID}..${FIRST_MESSAGE_ID + TOKENS_PER_ROUND - 1}, median of ${ROUNDS} rounds of ${TOKENS_PER_ROUND}`);
console.log('version  length  sign (us/token)  verify (us/token)');
const results = new Map(TOKEN_VERSIONS.map((version) => [version, measure(version)]));
for (const [version, r] of results) {
  console.log(`${String(version).padEnd(7)}  ${String(r.length).padStart(6)}  ${r.sign.toFixed(2).padStart(15)}  ${r.verify.toFixed(2).padStart(17)}`);
}
const [v1, v2] = [results.get(1)!, results.get(2)!];
console.log(`version 2 costs ${(v2.sign - v1.sign).toFixed(2)} us more to sign and ${(v2.verify - v1.verify).toFixed(2)} us more to verify (a verified-token cache miss)`);
