import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { crossValidationFold, isTrainingMessage } from './split.js';

describe('evaluation split', () => {
  it('follows the documented hash rule', () => {
    for (const name of ['easy_ham__00001.x', 'spam_2__01234.y', 'hard_ham__00042.z']) {
      const hex = createHash('sha256').update(name).digest('hex');
      const expected = parseInt(hex.slice(0, 8), 16) % 100 < 70;
      assert.equal(isTrainingMessage(name), expected, name);
    }
  });

  it('puts about 70% in training', () => {
    const names = Array.from({ length: 2000 }, (_, i) => `message-${i}`);
    const share = names.filter(isTrainingMessage).length / names.length;
    assert.ok(share > 0.66, String(share));
    assert.ok(share < 0.74, String(share));
  });

  it('spreads folds over every index', () => {
    const folds = new Set(Array.from({ length: 200 }, (_, i) => crossValidationFold(`m${i}`, 5)));
    assert.deepEqual([...folds].sort(), [0, 1, 2, 3, 4]);
  });
});
