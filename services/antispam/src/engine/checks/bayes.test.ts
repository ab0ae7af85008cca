import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse, testContext } from '../../test/fixtures.js';
import { BayesModel } from '../bayes/model.js';
import { tokenize } from '../bayes/tokenizer.js';
import { BAYES_BANDS, bayesBand, createBayesCheck } from './bayes.js';

/** Builds a model that has learned the default test message's tokens as spam. */
async function modelLearningAsSpam(): Promise<BayesModel> {
  const tokens = tokenize(await parse());
  const model = new BayesModel({ minSpamMessages: 5, minHamMessages: 5 });
  for (let i = 0; i < 5; i += 1) {
    model.learnTokens(tokens, 'spam');
    model.learnTokens([`other-${i}`, 'unrelated'], 'ham');
  }
  return model;
}

describe('bayesBand', () => {
  const cases: [number, string][] = [
    [1, 'BAYES_999'],
    [0.999, 'BAYES_999'],
    [0.995, 'BAYES_99'],
    [0.96, 'BAYES_95'],
    [0.5, 'BAYES_40'],
    [0.1, 'BAYES_05'],
    [0, 'BAYES_00'],
  ];
  for (const [probability, name] of cases) {
    it(`puts ${probability} in ${name}`, () => {
      assert.equal(bayesBand(probability).name, name);
    });
  }

  it('orders scores with the probability', () => {
    for (let i = 1; i < BAYES_BANDS.length; i += 1)
      assert.ok(BAYES_BANDS[i]!.score <= BAYES_BANDS[i - 1]!.score);
  });
});

describe('bayes check', () => {
  it('adds nothing without a model', async () => {
    const check = createBayesCheck(() => undefined);
    assert.deepEqual(await check.run(await parse(), testContext()), []);
  });

  it('adds nothing before the minimum is learned', async () => {
    const model = new BayesModel();
    model.learnTokens(['a'], 'spam');
    const check = createBayesCheck(() => model);
    assert.deepEqual(await check.run(await parse(), testContext()), []);
  });

  it('reports the band of a learned message', async () => {
    const model = await modelLearningAsSpam();
    const check = createBayesCheck(() => model);
    const findings = await check.run(await parse(), testContext());
    assert.equal(check.name, 'bayes');
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.name, 'BAYES_999');
    assert.equal(findings[0]!.score, 5);
    assert.match(findings[0]!.detail, /^Bayes spam probability (0\.9\d+|1\.0000) from \d+ tokens$/);
  });

  it('uses the model returned at each call', async () => {
    const live: { model?: BayesModel } = {};
    const check = createBayesCheck(() => live.model);
    const message = await parse();
    assert.equal((await check.run(message, testContext())).length, 0);
    live.model = await modelLearningAsSpam();
    assert.equal((await check.run(message, testContext())).length, 1);
  });
});
