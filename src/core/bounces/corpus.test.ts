/**
 * The labelled corpus (../shared/corpus/sisimai-dev, beside the repository) scored as eval:bounces
 * scores it; the floors sit a little under what the parser reaches, so that a regression fails.
 * Skipped when the corpus is not there (a checkout without the shared folder).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readLabels, scoreCorpus } from '../../../eval/bounces/scoring.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const corpus = path.resolve(repoRoot, '..', 'shared', 'corpus', 'sisimai-dev');

/** Shares of labelled recipients, a little under the figures reached on the dev set. */
const FLOORS = { address: 0.99, hardSoft: 0.97, reason: 0.93 };

describe.skipIf(!existsSync(corpus))('the labelled bounce corpus', () => {
  it('stays at or above its floors', () => {
    const score = scoreCorpus(path.join(corpus, 'eml'), readLabels(path.join(corpus, 'labels.jsonl')));
    expect(score.files).toBeGreaterThanOrEqual(352);
    expect(score.addressFound / score.recipients).toBeGreaterThanOrEqual(FLOORS.address);
    expect(score.hardSoftAgreed / score.recipients).toBeGreaterThanOrEqual(FLOORS.hardSoft);
    expect(score.reasonAgreed / score.recipients).toBeGreaterThanOrEqual(FLOORS.reason);
  });
});
