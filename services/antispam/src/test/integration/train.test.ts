import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { credentials, Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import {
  createLogger,
  defaultPolicy,
  MemoryBus,
  StaticPolicySource,
  type BackupStore,
  type RunningService,
} from '@mailshield/common';
import {
  AntispamClient,
  type ScoreMessageResponse,
  type TrainRequest,
  type TrainResponse,
} from '@mailshield/proto/antispam';
import { Label } from '@mailshield/proto/learning';
import { startAntispam } from '../../index.js';
import { buildRaw } from '../fixtures.js';
import { startLearningServer } from '../learning-server.js';

const backup: BackupStore = { store: async () => true, close: () => undefined };

function train(client: AntispamClient, request: Partial<TrainRequest>): Promise<TrainResponse> {
  const full: TrainRequest = { id: '', raw: Buffer.alloc(0), label: 0, actor: 'test', ...request };
  return new Promise((resolve, reject) => {
    client.train(full, new Metadata(), (err: ServiceError | null, response: TrainResponse) =>
      err === null ? resolve(response) : reject(err),
    );
  });
}

function score(client: AntispamClient, raw: Buffer): Promise<ScoreMessageResponse> {
  return new Promise((resolve, reject) => {
    client.scoreMessage(
      { raw, envelope: undefined, id: 'probe' },
      new Metadata(),
      (err: ServiceError | null, response: ScoreMessageResponse) =>
        err === null ? resolve(response) : reject(err),
    );
  });
}

function spam(n: number): Buffer {
  return buildRaw({
    headers: { Subject: `Cheap pills casino winner ${n}`, From: `Promo <deals${n}@bulk.example>` },
    body: `Buy cheap pills now! Casino bonus, winner jackpot, unsubscribe offer ${n}.\r\n`,
  });
}

function ham(n: number): Buffer {
  return buildRaw({
    headers: { Subject: `Project meeting agenda ${n}` },
    body: `Hello Bob,\r\n\r\nthe project agenda and minutes for meeting ${n} are attached.\r\n`,
  });
}

/** Score of the bayes check's finding, or undefined when the check added none. */
async function bayesScore(client: AntispamClient, raw: Buffer): Promise<number | undefined> {
  const response = await score(client, raw);
  return response.outcome?.findings.find((finding) => finding.name.startsWith('BAYES_'))?.score;
}

async function waitForBayes(client: AntispamClient, raw: Buffer): Promise<number | undefined> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const found = await bayesScore(client, raw);
    if (found !== undefined || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Antispam.Train with a shared model', () => {
  let learning: Awaited<ReturnType<typeof startLearningServer>>;
  const replicas: { service: RunningService; client: AntispamClient; stateDir: string }[] = [];

  async function startReplica(name: string, learningPort: number, stateDir?: string) {
    const dir = stateDir ?? (await mkdtemp(join(tmpdir(), 'antispam-train-')));
    const service = await startAntispam(
      {
        instance: name,
        controlPlane: { host: '127.0.0.1', port: learningPort },
        bindHost: '127.0.0.1',
        stateDir: dir,
        logLevel: 'silent',
        grpcPort: 0,
        metricsPort: 0,
        concurrency: 2,
        scanTimeoutSeconds: 5,
        backupTimeoutSeconds: 1,
        modelRefreshSeconds: 0.1,
        learningTimeoutSeconds: 2,
        bayesMinSpamMessages: 3,
        bayesMinHamMessages: 3,
      },
      {
        bus: new MemoryBus(),
        logger: createLogger(name, 'silent'),
        policy: new StaticPolicySource({ ...defaultPolicy(), version: 1 }),
        backup,
      },
    );
    const client = new AntispamClient(
      `127.0.0.1:${service.ports['grpc']}`,
      credentials.createInsecure(),
    );
    const replica = { service, client, stateDir: dir };
    replicas.push(replica);
    return replica;
  }

  before(async () => {
    learning = await startLearningServer();
    await startReplica('antispam-a', learning.port);
    await startReplica('antispam-b', learning.port);
  });

  after(async () => {
    for (const replica of replicas) {
      replica.client.close();
      await replica.service.stop();
    }
    await learning.stop();
    for (const dir of new Set(replicas.map((replica) => replica.stateDir)))
      await rm(dir, { recursive: true, force: true });
  });

  it('training on one replica changes the other', async () => {
    const [a, b] = replicas;
    const probe = spam(99);
    assert.equal(await bayesScore(b!.client, probe), undefined);
    for (const n of [1, 2, 3]) {
      const learned = await train(a!.client, {
        id: `spam-${n}`,
        raw: spam(n),
        label: Label.LABEL_SPAM,
      });
      assert.equal(learned.changed, true);
      assert.ok(learned.tokenCount > 0);
      await train(a!.client, { id: `ham-${n}`, raw: ham(n), label: Label.LABEL_HAM });
    }
    assert.ok((await bayesScore(a!.client, probe))! > 0);
    assert.ok((await waitForBayes(b!.client, probe))! > 0);
    assert.ok((await bayesScore(b!.client, ham(99)))! < 0);
  });

  it('training the same id again changes nothing', async () => {
    const again = await train(replicas[0]!.client, {
      id: 'spam-1',
      raw: spam(1),
      label: Label.LABEL_SPAM,
    });
    assert.equal(again.changed, false);
    assert.equal(again.version, 6);
  });

  it('training the other label moves the message', async () => {
    const moved = await train(replicas[0]!.client, {
      id: 'spam-1',
      raw: spam(1),
      label: Label.LABEL_HAM,
    });
    assert.equal(moved.changed, true);
    assert.equal(moved.version, 7);
    assert.equal(learning.learned.get('spam-1')?.label, Label.LABEL_HAM);
  });

  it('an empty id is the hash of the message', async () => {
    const learned = await train(replicas[0]!.client, { raw: ham(7), label: Label.LABEL_HAM });
    assert.match(learned.id, /^sha256:[0-9a-f]{64}$/);
  });

  it('answers INVALID_ARGUMENT with field errors', async () => {
    await assert.rejects(train(replicas[0]!.client, {}), (err: ServiceError) => {
      assert.equal(err.code, GrpcStatus.INVALID_ARGUMENT);
      assert.deepEqual(err.metadata.get('mailshield-error-code'), ['AS_TRAIN_INVALID']);
      const fields = err.metadata.get('mailshield-field-error-bin').map(String);
      assert.deepEqual(fields, [
        'raw: must contain the message',
        'label: must be LABEL_SPAM or LABEL_HAM',
      ]);
      return true;
    });
  });

  it('model survives the control plane going away', async () => {
    const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
    // The move above left two spam, under the minimum of three, so one more makes it ready.
    await train(a.client, { id: 'spam-4', raw: spam(4), label: Label.LABEL_SPAM });
    assert.ok((await waitForBayes(b.client, spam(99)))! > 0);
    await stat(join(b.stateDir, 'antispam', 'bayes-model.json'));
    await learning.stop();
    // Several failed polls later, the running replica still classifies with its last model.
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.ok((await bayesScore(b.client, spam(99)))! > 0);
    // Port 1 on loopback has no server, so only the cache can give the model.
    const c = await startReplica('antispam-c', 1, b.stateDir);
    assert.ok((await bayesScore(c.client, spam(99)))! > 0);
  });
});
