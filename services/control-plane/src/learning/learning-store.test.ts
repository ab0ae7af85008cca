import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { join } from 'node:path';
import { InvalidArgumentError } from '@mailshield/common';
import { Label } from '@mailshield/proto/learning';
import { ErrorCodes } from '../errors.js';
import { databaseUrlForTest, makeTempDir, twoDatabaseSessions } from '../testing/support.js';
import { FileLearningStore } from './file-learning-store.js';
import { checkLearnRequest, type LearningStore, type LearnInput } from './learning-store.js';
import { PgLearningStore } from './pg-learning-store.js';

type Factory = (t: {
  after(fn: () => Promise<void>): void;
}) => Promise<{ store: LearningStore; reopen: () => Promise<LearningStore> }>;

function input(messageId: string, label: 'spam' | 'ham', tokens: string[]): LearnInput {
  return { messageId, label, tokens, actor: 'test' };
}

function learningStoreContract(name: string, factory: Factory, skip: boolean): void {
  describe(`${name} learning store`, { skip }, () => {
    test('starts empty at version 0', async (t) => {
      const { store } = await factory(t);
      await store.open();
      assert.equal(await store.version(), 0);
      const model = await store.model();
      assert.deepEqual(model.snapshot, { spamMessages: 0, hamMessages: 0, tokens: [] });
    });

    test('learn counts tokens and bumps the version', async (t) => {
      const { store } = await factory(t);
      await store.open();
      assert.deepEqual(await store.learn(input('m1', 'spam', ['cheap', 'pills'])), {
        version: 1,
        changed: true,
      });
      assert.deepEqual(await store.learn(input('m2', 'ham', ['cheap', 'meeting'])), {
        version: 2,
        changed: true,
      });
      const model = await store.model();
      assert.equal(model.version, 2);
      assert.deepEqual(model.snapshot, {
        spamMessages: 1,
        hamMessages: 1,
        tokens: [
          ['cheap', 1, 1],
          ['meeting', 0, 1],
          ['pills', 1, 0],
        ],
      });
    });

    test('same id and label changes nothing', async (t) => {
      const { store } = await factory(t);
      await store.open();
      await store.learn(input('m1', 'spam', ['cheap']));
      const again = await store.learn(input('m1', 'spam', ['cheap', 'other']));
      assert.deepEqual(again, { version: 1, changed: false });
      const model = await store.model();
      assert.deepEqual(model.snapshot.tokens, [['cheap', 1, 0]]);
      assert.equal(model.snapshot.spamMessages, 1);
    });

    test('other label moves the message', async (t) => {
      const { store, reopen } = await factory(t);
      await store.open();
      await store.learn(input('m1', 'spam', ['cheap', 'pills']));
      const moved = await store.learn(input('m1', 'ham', ['cheap', 'lunch']));
      assert.deepEqual(moved, { version: 2, changed: true });
      const expected = {
        spamMessages: 0,
        hamMessages: 1,
        tokens: [
          ['cheap', 0, 1],
          ['lunch', 0, 1],
        ],
      };
      assert.deepEqual((await store.model()).snapshot, expected);
      const reopened = await reopen();
      await reopened.open();
      const model = await reopened.model();
      assert.equal(model.version, 2);
      assert.deepEqual(model.snapshot, expected);
    });

    test('concurrent learns get distinct versions', async (t) => {
      const { store } = await factory(t);
      await store.open();
      const results = await Promise.all(
        [1, 2, 3, 4, 5].map((n) => store.learn(input(`m${n}`, 'spam', ['shared', `t${n}`]))),
      );
      const versions = results.map((result) => result.version).sort();
      assert.deepEqual(versions, [1, 2, 3, 4, 5]);
      const model = await store.model();
      assert.deepEqual(model.snapshot.tokens[0], ['shared', 5, 0]);
    });
  });
}

learningStoreContract(
  'file',
  async (t) => {
    const dir = join(await makeTempDir(t), 'learning');
    return { store: new FileLearningStore(dir), reopen: async () => new FileLearningStore(dir) };
  },
  false,
);

const databaseUrl = databaseUrlForTest();
learningStoreContract(
  'PostgreSQL',
  async (t) => {
    const [first, second] = twoDatabaseSessions(t, databaseUrl!);
    return { store: new PgLearningStore(first), reopen: async () => new PgLearningStore(second) };
  },
  databaseUrl === undefined,
);

describe('checkLearnRequest', () => {
  test('lists every invalid field', () => {
    const request = {
      messageId: '',
      label: Label.LABEL_UNSPECIFIED,
      tokens: Array.from({ length: 5001 }, (_, i) => `t${i}`),
      actor: '',
    };
    assert.throws(
      () => checkLearnRequest(request),
      (err: unknown) => {
        assert.ok(err instanceof InvalidArgumentError);
        assert.equal(err.code, ErrorCodes.learnInvalid);
        assert.deepEqual(err.fieldErrors, [
          'message_id: must not be empty',
          'label: must be LABEL_SPAM or LABEL_HAM',
          'tokens: 5001 distinct tokens, at most 5000',
        ]);
        return true;
      },
    );
  });

  test('removes duplicate tokens', () => {
    const request = { messageId: 'm', label: Label.LABEL_HAM, tokens: ['a', 'b', 'a'], actor: '' };
    const checked = checkLearnRequest(request);
    assert.deepEqual(checked.tokens, ['a', 'b']);
    assert.equal(checked.label, 'ham');
    assert.equal(checked.actor, 'unknown');
  });

  test('rejects a forged actor', () => {
    const request = {
      messageId: 'm',
      label: Label.LABEL_SPAM,
      tokens: ['a'],
      actor: 'evil\n2026-01-01T00:00:00Z  root  backup.delete',
    };
    assert.throws(
      () => checkLearnRequest(request),
      (err: unknown) => {
        assert.ok(err instanceof InvalidArgumentError);
        assert.equal(err.code, ErrorCodes.learnInvalid);
        assert.match(err.fieldErrors[0]!, /^actor: contains control or format characters/);
        return true;
      },
    );
  });
});
