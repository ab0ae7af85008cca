import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { measureThresholds, type ScoredMessage } from './metrics.js';

const RESULTS: ScoredMessage[] = [
  { name: 's1', label: 'spam', score: 9 },
  { name: 's2', label: 'spam', score: 4 },
  { name: 'h1', label: 'ham', score: 4 },
  { name: 'h2', label: 'ham', score: 0 },
];

describe('measureThresholds', () => {
  it('counts recall, false positives and precision', () => {
    const [atFour, atFive] = measureThresholds(RESULTS, [4, 5]);
    assert.equal(atFour!.recall, 1);
    assert.equal(atFour!.falsePositiveRate, 0.5);
    assert.equal(atFour!.precision, 2 / 3);
    assert.deepEqual(atFour!.flaggedHam, ['h1']);
    assert.equal(atFive!.recall, 0.5);
    assert.equal(atFive!.falsePositiveRate, 0);
    assert.equal(atFive!.precision, 1);
  });

  it('gives precision 1 when nothing is flagged', () => {
    const [row] = measureThresholds(RESULTS, [100]);
    assert.equal(row!.precision, 1);
    assert.equal(row!.recall, 0);
  });
});
