import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { readAntispamConfig, startAntispam } from '@mailshield/antispam';
import { createLogger, MemoryBus, type RunningService } from '@mailshield/common';
import { readControlPlaneOptions, startControlPlane } from '@mailshield/control-plane';
import { createServer } from 'node:net';
import { AntispamClient, type ScoreMessageResponse } from '@mailshield/proto/antispam';
import {
  BackupClient,
  type ReleaseBackupResponse,
  type StoreBackupResponse,
} from '@mailshield/proto/backup';
import { Label, LearningClient, type GetModelResponse } from '@mailshield/proto/learning';
import { Disposition, QueueMode, RecordKind, Stage } from '@mailshield/proto/message';

const logger = createLogger('shared-learning-test', 'silent');
const services: RunningService[] = [];
const clients: AntispamClient[] = [];
let stateDir = '';
let controlPlaneAddress = '';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Builds a message from `words`, numbered so every copy has bytes of its own. */
function message(subject: string, words: string, n: number): Buffer {
  const lines = [
    'From: Sender <sender@example.org>',
    'To: user@example.com',
    `Subject: ${subject} ${n}`,
    `Message-ID: <${subject.replace(/\W/g, '')}-${n}@example.org>`,
    'Date: Fri, 04 Dec 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `${words} ${n}`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'));
}

const spam = (n: number) =>
  message('Cheap pills winner', 'Buy cheap pills now, casino jackpot bonus offer, winner', n);
const ham = (n: number) =>
  message('Project agenda', 'Hello Bob, the agenda and minutes of our project meeting', n);

function call<T>(method: (done: (err: ServiceError | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    method((err, value) => (err === null ? resolve(value) : reject(err))),
  );
}

async function bayesScore(client: AntispamClient, raw: Buffer): Promise<number | undefined> {
  const response = await call<ScoreMessageResponse>((done) =>
    client.scoreMessage({ raw, envelope: undefined, id: 'probe' }, new Metadata(), done),
  );
  return response.outcome?.findings.find((finding) => finding.name.startsWith('BAYES_'))?.score;
}

before(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'mailshield-shared-learning-'));
  // The control plane learns the address of replica A, so a release as not spam can teach it.
  const portA = await freePort();
  const controlPlane = await startControlPlane(
    {
      ...readControlPlaneOptions({
        MAILSHIELD_DATABASE_URL: '',
        MAILSHIELD_COMPONENTS: `antispam=127.0.0.1:${portA}`,
      }),
      stateDir: join(stateDir, 'control-plane'),
      grpcPort: 0,
      metricsPort: 0,
    },
    { bus: new MemoryBus(), logger },
  );
  services.push(controlPlane);
  controlPlaneAddress = `127.0.0.1:${controlPlane.ports['grpc']}`;
  for (const [name, port] of [
    ['antispam-a', portA],
    ['antispam-b', 0],
  ] as const) {
    const antispam = await startAntispam(
      {
        ...readAntispamConfig({
          MAILSHIELD_CONTROL_PLANE_ADDRESS: `127.0.0.1:${controlPlane.ports['grpc']}`,
          MAILSHIELD_ANTISPAM_MODEL_REFRESH_SECONDS: '0.2',
          MAILSHIELD_ANTISPAM_BAYES_MIN_SPAM: '3',
          MAILSHIELD_ANTISPAM_BAYES_MIN_HAM: '3',
        }).options,
        instance: name,
        stateDir: join(stateDir, name),
        grpcPort: port,
        metricsPort: 0,
      },
      { bus: new MemoryBus(), logger },
    );
    services.push(antispam);
    clients.push(
      new AntispamClient(`127.0.0.1:${antispam.ports['grpc']}`, credentials.createInsecure()),
    );
  }
});

after(async () => {
  for (const client of clients) client.close();
  for (const service of services.reverse()) await service.stop();
  await rm(stateDir, { recursive: true, force: true });
});

test('replicas share what the control plane learned', async () => {
  const [a, b] = clients as [AntispamClient, AntispamClient];
  const probe = spam(99);
  assert.equal(await bayesScore(b, probe), undefined);
  for (const n of [1, 2, 3]) {
    for (const [raw, label] of [
      [spam(n), Label.LABEL_SPAM],
      [ham(n), Label.LABEL_HAM],
    ] as const) {
      await call((done) =>
        a.train({ id: `${label}-${n}`, raw, label, actor: 'test' }, new Metadata(), done),
      );
    }
  }
  let score: number | undefined;
  const deadline = Date.now() + 10_000;
  while ((score = await bayesScore(b, probe)) === undefined && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(score !== undefined, 'replica B added no Bayes finding to the spam probe');
  assert.ok(score > 0, `replica B scored the spam probe ${score}`);
  assert.ok((await bayesScore(b, ham(99)))! < 0);
});

test('release as not spam teaches ham', async () => {
  const backup = new BackupClient(controlPlaneAddress, credentials.createInsecure());
  const learning = new LearningClient(controlPlaneAddress, credentials.createInsecure());
  try {
    const hamBefore = await hamMessages(learning);
    const record = {
      id: 'held-ham-1',
      kind: RecordKind.RECORD_KIND_MESSAGE,
      envelope: undefined,
      raw: ham(42),
      outcomes: [],
      traceContext: {},
      queueMode: QueueMode.QUEUE_MODE_AFTER_QUEUE,
      disposition: Disposition.DISPOSITION_HOLD,
      sessionInstance: 'test',
      reply: '',
      deliverTo: ['user@example.com'],
      deliveryAttempts: 0,
      deliverAfter: undefined,
      deliveryKey: '',
    };
    const outcome = {
      stage: Stage.STAGE_ANTISPAM,
      scanner: 'antispam',
      status: 'probable_spam',
      action: 'hold',
      reason: '',
      durationSeconds: 0,
      policyVersion: 1,
      findings: [],
      score: 4,
      at: new Date(),
      traceId: '',
      instance: 'test',
    };
    await call<StoreBackupResponse>((done) =>
      backup.store({ record, outcome }, new Metadata(), done),
    );
    const released = await call<ReleaseBackupResponse>((done) =>
      backup.release(
        { id: 'held-ham-1', recipients: [], actor: 'test', notSpam: true },
        new Metadata(),
        done,
      ),
    );
    assert.equal(released.learned, true);
    assert.equal(await hamMessages(learning), hamBefore + 1);
  } finally {
    backup.close();
    learning.close();
  }
});

async function hamMessages(client: LearningClient): Promise<number> {
  const model = await call<GetModelResponse>((done) =>
    client.getModel({ knownVersion: -1 }, new Metadata(), done),
  );
  return (JSON.parse(model.snapshotJson) as { hamMessages: number }).hamMessages;
}
