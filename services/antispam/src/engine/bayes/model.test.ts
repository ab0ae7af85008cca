import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BayesSnapshotError } from '../../errors.js';
import { parse } from '../../test/fixtures.js';
import { BayesModel } from './model.js';
import { TOKENIZER_VERSION } from './tokenizer.js';

const SPAM = ['cheap', 'pills', 'offer', 'winner', 'click'];
const HAM = ['meeting', 'minutes', 'agenda', 'project', 'review'];

/** Builds a model from `count` spam and `count` ham, each with a few words of its kind. */
function trainedModel(count: number, minimum = 3): BayesModel {
  const model = new BayesModel({ minSpamMessages: minimum, minHamMessages: minimum });
  for (let i = 0; i < count; i += 1) {
    model.learnTokens([...SPAM.slice(0, 3 + (i % 3)), `spam-${i}`], 'spam');
    model.learnTokens([...HAM.slice(0, 3 + (i % 3)), `ham-${i}`], 'ham');
  }
  return model;
}

describe('BayesModel', () => {
  it('does not classify before the minimum is learned', () => {
    const model = trainedModel(2);
    assert.equal(model.isReady, false);
    assert.equal(model.classifyTokens(SPAM), undefined);
  });

  it('defaults to 200 spam and 200 ham', () => {
    const model = new BayesModel();
    assert.equal(model.options.minSpamMessages, 200);
    assert.equal(model.options.minHamMessages, 200);
  });

  it('separates spam from ham', () => {
    const model = trainedModel(10);
    assert.ok(model.classifyTokens(SPAM)!.probability > 0.95);
    assert.ok(model.classifyTokens(HAM)!.probability < 0.05);
  });

  it('gives 0.5 to unknown tokens', () => {
    const result = trainedModel(10).classifyTokens(['never', 'seen']);
    assert.equal(result!.probability, 0.5);
    assert.equal(result!.clueCount, 0);
  });

  it('counts a token once per message', () => {
    const model = trainedModel(5);
    model.learnTokens(['cheap', 'cheap', 'cheap'], 'spam');
    const counts = model.toSnapshot().tokens.find(([token]) => token === 'cheap');
    assert.deepEqual(counts, ['cheap', 6, 0]);
  });

  it('unlearn undoes learn', () => {
    const model = trainedModel(5);
    const before = JSON.stringify(model.toSnapshot());
    model.learnTokens(['cheap', 'brand-new'], 'ham');
    model.unlearnTokens(['cheap', 'brand-new'], 'ham');
    assert.equal(JSON.stringify(model.toSnapshot()), before);
  });

  it('unlearn stops counts at zero', () => {
    const model = new BayesModel();
    model.unlearnTokens(['cheap'], 'spam');
    assert.equal(model.spamMessages, 0);
    assert.equal(model.tokenCount, 0);
  });

  it('learns a parsed message', async () => {
    const model = new BayesModel();
    model.learn(await parse({ headers: { Subject: 'Quarterly numbers' } }), 'ham');
    assert.equal(model.hamMessages, 1);
    assert.ok(model.toSnapshot().tokens.some(([token]) => token === 'subject:quarterly'));
  });

  it('round-trips through a snapshot', () => {
    const model = trainedModel(5);
    const copy = BayesModel.fromSnapshot(JSON.parse(JSON.stringify(model.toSnapshot())), {
      minSpamMessages: 3,
      minHamMessages: 3,
    });
    assert.deepEqual(copy.toSnapshot(), model.toSnapshot());
    assert.equal(copy.classifyTokens(SPAM)!.probability, model.classifyTokens(SPAM)!.probability);
  });

  it('merge equals learning both sets', () => {
    const left = trainedModel(4);
    const right = new BayesModel();
    right.learnTokens(['cheap', 'extra'], 'spam');
    right.learnTokens(['agenda'], 'ham');
    const both = trainedModel(4);
    both.learnTokens(['cheap', 'extra'], 'spam');
    both.learnTokens(['agenda'], 'ham');
    left.merge(right.toSnapshot());
    assert.deepEqual(left.toSnapshot(), both.toSnapshot());
  });

  it('merges another model', () => {
    const model = trainedModel(3);
    model.merge(trainedModel(3));
    assert.equal(model.spamMessages, 6);
    assert.equal(model.hamMessages, 6);
  });
});

describe('BayesModel snapshots', () => {
  const valid = () => ({
    format: 1,
    tokenizerVersion: TOKENIZER_VERSION,
    spamMessages: 2,
    hamMessages: 1,
    tokens: [['cheap', 2, 0] as [string, number, number]],
  });

  const cases: [string, (snapshot: ReturnType<typeof valid>) => unknown, RegExp][] = [
    ['a non-object', () => 'text', /not an object/],
    ['another format', (s) => ({ ...s, format: 2 }), /format/],
    ['another tokenizer', (s) => ({ ...s, tokenizerVersion: 0 }), /tokenizerVersion/],
    ['negative totals', (s) => ({ ...s, spamMessages: -1 }), /spamMessages/],
    ['a bad entry', (s) => ({ ...s, tokens: [['cheap', 1]] }), /tokens\[0\]/],
    ['counts above totals', (s) => ({ ...s, tokens: [['cheap', 3, 0]] }), /exceed/],
    ['a duplicate token', (s) => ({ ...s, tokens: [...s.tokens, ...s.tokens] }), /twice/],
  ];
  for (const [name, change, pattern] of cases) {
    it(`rejects ${name}`, () => {
      assert.throws(
        () => BayesModel.fromSnapshot(change(valid())),
        (err: unknown) =>
          err instanceof BayesSnapshotError &&
          err.code === 'AS_BAYES_SNAPSHOT_INVALID' &&
          pattern.test(err.message),
      );
    });
  }

  it('leaves the model unchanged on a failed merge', () => {
    const model = trainedModel(3);
    const before = JSON.stringify(model.toSnapshot());
    assert.throws(() => model.merge({ ...valid(), spamMessages: -1 }), BayesSnapshotError);
    assert.equal(JSON.stringify(model.toSnapshot()), before);
  });
});
