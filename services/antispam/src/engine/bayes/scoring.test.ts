import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chiSquareTail,
  combineChiSquare,
  DEFAULT_SCORING_PARAMETERS,
  selectClues,
  tokenProbability,
} from './scoring.js';

describe('chiSquareTail', () => {
  it('matches the closed form for 2 degrees', () => {
    assert.ok(Math.abs(chiSquareTail(3, 2) - Math.exp(-1.5)) < 1e-12);
  });

  it('matches a table value for 10 degrees', () => {
    // P(chi-square with 10 degrees >= 18.307) = 0.05, from a standard table.
    assert.ok(Math.abs(chiSquareTail(18.307, 10) - 0.05) < 1e-4);
  });

  it('never exceeds 1', () => {
    assert.equal(chiSquareTail(0, 300), 1);
  });
});

describe('tokenProbability', () => {
  it('compares frequencies, not counts', () => {
    // Seen in 10 of 100 spam and 10 of 1000 ham: ten times as frequent in spam.
    const probability = tokenProbability(10, 10, 100, 1000, DEFAULT_SCORING_PARAMETERS);
    assert.ok(probability > 0.85, String(probability));
    assert.ok(probability < 0.91, String(probability));
  });

  it('pulls a rare token towards the prior', () => {
    const once = tokenProbability(1, 0, 100, 100, DEFAULT_SCORING_PARAMETERS);
    const often = tokenProbability(50, 0, 100, 100, DEFAULT_SCORING_PARAMETERS);
    assert.ok(once < often);
    assert.ok(once > 0.5);
  });
});

describe('combineChiSquare', () => {
  it('gives 0.5 without clues', () => {
    assert.equal(combineChiSquare([]), 0.5);
  });

  it('is near 1 for spam clues and near 0 for ham clues', () => {
    assert.ok(combineChiSquare(Array(20).fill(0.99)) > 0.99);
    assert.ok(combineChiSquare(Array(20).fill(0.01)) < 0.01);
  });

  it('stays near 0.5 for strong clues both ways', () => {
    const mixed = combineChiSquare([...Array(20).fill(0.99), ...Array(20).fill(0.01)]);
    assert.ok(Math.abs(mixed - 0.5) < 0.01, String(mixed));
  });

  it('survives clues of exactly 0 and 1', () => {
    const value = combineChiSquare([0, 1, 1]);
    assert.ok(Number.isFinite(value));
  });
});

describe('selectClues', () => {
  it('drops weak clues and keeps the strongest', () => {
    const parameters = { ...DEFAULT_SCORING_PARAMETERS, maxClues: 2 };
    assert.deepEqual(selectClues([0.55, 0.9, 0.02, 0.7], parameters), [0.02, 0.9]);
  });
});
