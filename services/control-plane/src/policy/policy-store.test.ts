import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { join } from 'node:path';
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  defaultPolicy,
  InvalidArgumentError,
  MailshieldError,
  NotFoundError,
} from '@mailshield/common';
import { Direction, SpamAction, type PolicyOverride } from '@mailshield/proto/policy';
import { ErrorCodes, PolicyVersionConflictError } from '../errors.js';
import { databaseUrlForTest, makeTempDir, twoDatabaseSessions } from '../testing/support.js';
import { FilePolicyStore } from './file-policy-store.js';
import { PgPolicyStore } from './pg-policy-store.js';
import { rollbackPolicy, type PolicyStore } from './policy-store.js';

type Factory = (t: {
  after(fn: () => Promise<void>): void;
}) => Promise<{ store: PolicyStore; reopen: () => Promise<PolicyStore> }>;

function policyStoreContract(name: string, factory: Factory, skip: boolean): void {
  describe(`${name} policy store`, { skip }, () => {
    test('seeds version 1 when empty', async (t) => {
      const { store } = await factory(t);
      await store.open(defaultPolicy(['seed.example']));
      const policy = await store.get();
      assert.equal(policy.version, 1);
      assert.deepEqual(policy.relayDomains, ['seed.example']);
    });

    test('set assigns the next version and keeps history', async (t) => {
      const { store, reopen } = await factory(t);
      await store.open(defaultPolicy());
      const second = await store.set(defaultPolicy(['two.example']), 1, 'alice');
      const third = await store.set(defaultPolicy(['three.example']), 0, 'bob');
      assert.equal(second.version, 2);
      assert.equal(third.version, 3);
      assert.deepEqual((await store.get()).relayDomains, ['three.example']);
      const history = await store.history(10);
      assert.deepEqual(
        history.map((entry) => entry.policy.version),
        [3, 2, 1],
      );
      assert.deepEqual(
        history.map((entry) => entry.actor),
        ['bob', 'alice', 'seed'],
      );
      const reopened = await reopen();
      await reopened.open(defaultPolicy(['ignored.example']));
      const afterReopen = await reopened.get();
      assert.equal(afterReopen.version, 3);
      assert.deepEqual(afterReopen.relayDomains, ['three.example']);
    });

    test('set rejects a stale expected version', async (t) => {
      const { store } = await factory(t);
      await store.open(defaultPolicy());
      await store.set(defaultPolicy(['two.example']), 1, 'alice');
      const stale = store.set(defaultPolicy(['lost.example']), 1, 'bob');
      await assert.rejects(stale, (err: unknown) => {
        assert.ok(err instanceof PolicyVersionConflictError);
        assert.equal(err.code, ErrorCodes.policyVersionConflict);
        assert.equal(err.currentVersion, 2);
        return true;
      });
      assert.equal((await store.get()).version, 2);
    });

    test('set rejects an invalid policy with field errors', async (t) => {
      const { store } = await factory(t);
      await store.open(defaultPolicy());
      const invalid = { ...defaultPolicy(['bad..example']), maxMessageBytes: 0 };
      await assert.rejects(store.set(invalid, 0, 'alice'), (err: unknown) => {
        assert.ok(err instanceof InvalidArgumentError);
        assert.equal(err.code, ErrorCodes.policyInvalid);
        assert.deepEqual(err.fieldErrors, [
          'relayDomains[0]: "bad..example" is not a valid domain name',
          'maxMessageBytes: must be greater than 0',
        ]);
        return true;
      });
      assert.equal((await store.get()).version, 1);
    });

    test('version reads one stored version', async (t) => {
      const { store } = await factory(t);
      await store.open(defaultPolicy(['one.example']));
      await store.set(defaultPolicy(['two.example']), 1, 'alice');
      const first = await store.version(1);
      assert.equal(first?.policy.version, 1);
      assert.equal(first?.actor, 'seed');
      assert.deepEqual(first?.policy.relayDomains, ['one.example']);
      assert.ok(first?.storedAt instanceof Date);
      assert.equal(await store.version(3), undefined);
      assert.equal(await store.version(0), undefined);
    });

    test('rollback stores old content as a new version', async (t) => {
      const { store, reopen } = await factory(t);
      await store.open(defaultPolicy(['one.example']));
      await store.set(defaultPolicy(['two.example']), 1, 'alice');
      const rolled = await rollbackPolicy(store, 1, 2, 'bob');
      assert.equal(rolled.version, 3);
      assert.deepEqual(rolled.relayDomains, ['one.example']);
      const history = await store.history(10);
      assert.deepEqual(
        history.map((entry) => [entry.policy.version, entry.actor, entry.policy.relayDomains[0]]),
        [
          [3, 'bob', 'one.example'],
          [2, 'alice', 'two.example'],
          [1, 'seed', 'one.example'],
        ],
      );
      const reopened = await reopen();
      await reopened.open(defaultPolicy(['ignored.example']));
      assert.deepEqual((await reopened.get()).relayDomains, ['one.example']);
    });

    test('rollback rejects unknown and stale versions', async (t) => {
      const { store } = await factory(t);
      await store.open(defaultPolicy());
      await store.set(defaultPolicy(['two.example']), 1, 'alice');
      await assert.rejects(rollbackPolicy(store, 9, 0, 'bob'), (err: unknown) => {
        assert.ok(err instanceof NotFoundError);
        assert.equal(err.code, ErrorCodes.policyVersionNotFound);
        assert.match(err.message, /policy version 9 not found/);
        return true;
      });
      await assert.rejects(rollbackPolicy(store, 1, 1, 'bob'), PolicyVersionConflictError);
      await assert.rejects(rollbackPolicy(store, 2, 0, 'bob'), (err: unknown) => {
        assert.ok(err instanceof MailshieldError);
        assert.equal(err.code, ErrorCodes.policyRollbackCurrent);
        assert.equal(err.grpcStatus, GrpcStatus.FAILED_PRECONDITION);
        return true;
      });
      assert.equal((await store.get()).version, 2);
    });

    test('overrides keep which fields are set', async (t) => {
      const { store, reopen } = await factory(t);
      await store.open(defaultPolicy());
      const override: PolicyOverride = {
        recipientDomain: 'partner.example',
        direction: Direction.DIRECTION_INBOUND,
        antivirus: undefined,
        antispam: {
          spamThreshold: 9,
          subjectTag: '',
          onSpam: SpamAction.SPAM_ACTION_ADD_HEADERS,
          senderAllowlist: [],
          senderBlocklist: [],
          networkAllowlist: [],
          networkBlocklist: [],
        },
      };
      await store.set({ ...defaultPolicy(), overrides: [override] }, 0, 'alice');
      const reopened = await reopen();
      await reopened.open(defaultPolicy());
      const stored = (await reopened.get()).overrides[0]?.antispam;
      assert.equal(stored?.spamThreshold, 9);
      assert.equal(stored?.subjectTag, '');
      assert.equal(stored?.onSpam, SpamAction.SPAM_ACTION_ADD_HEADERS);
      assert.equal(stored?.onProbableSpam, undefined);
      assert.equal(stored?.probableSpamThreshold, undefined);
    });

    test('concurrent sets get distinct versions', async (t) => {
      const { store } = await factory(t);
      await store.open(defaultPolicy());
      const results = await Promise.all(
        [1, 2, 3, 4, 5].map((n) => store.set(defaultPolicy([`d${n}.example`]), 0, `actor-${n}`)),
      );
      assert.deepEqual(results.map((policy) => policy.version).sort(), [2, 3, 4, 5, 6]);
    });
  });
}

policyStoreContract(
  'file',
  async (t) => {
    const dir = join(await makeTempDir(t), 'policy');
    return { store: new FilePolicyStore(dir), reopen: async () => new FilePolicyStore(dir) };
  },
  false,
);

const databaseUrl = databaseUrlForTest();
policyStoreContract(
  'PostgreSQL',
  async (t) => {
    const [first, second] = twoDatabaseSessions(t, databaseUrl!);
    return { store: new PgPolicyStore(first), reopen: async () => new PgPolicyStore(second) };
  },
  databaseUrl === undefined,
);
