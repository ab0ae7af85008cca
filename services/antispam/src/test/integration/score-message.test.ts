import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { credentials, Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import {
  createLogger,
  defaultPolicy,
  getHeader,
  headerEnd,
  MemoryBus,
  StaticPolicySource,
  type RunningService,
} from '@mailshield/common';
import {
  AntispamClient,
  type ScoreMessageRequest,
  type ScoreMessageResponse,
} from '@mailshield/proto/antispam';
import { HealthCheckResponse_ServingStatus, HealthClient } from '@mailshield/proto/health';
import { Disposition } from '@mailshield/proto/message';
import { SpamAction, type Policy } from '@mailshield/proto/policy';
import type { BackupStore } from '@mailshield/common';
import { GTUBE } from '../../engine/checks/gtube.js';
import { startAntispam } from '../../index.js';
import { buildRaw } from '../fixtures.js';

function scoreMessage(
  client: AntispamClient,
  request: Partial<ScoreMessageRequest>,
): Promise<ScoreMessageResponse> {
  const full: ScoreMessageRequest = {
    raw: Buffer.alloc(0),
    envelope: undefined,
    id: '',
    ...request,
  };
  return new Promise((resolve, reject) => {
    client.scoreMessage(
      full,
      new Metadata(),
      (err: ServiceError | null, response: ScoreMessageResponse) =>
        err === null ? resolve(response) : reject(err),
    );
  });
}

describe('Antispam.ScoreMessage over gRPC', () => {
  let service: RunningService;
  let client: AntispamClient;
  let health: HealthClient;
  let stateDir: string;
  const stored: string[] = [];
  const backup: BackupStore = {
    store: async (record) => {
      stored.push(record.id);
      return true;
    },
    close: () => undefined,
  };
  let policy: Policy;

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'antispam-it-'));
    const base = defaultPolicy();
    policy = {
      ...base,
      version: 3,
      antispam: {
        ...base.antispam!,
        onSpam: SpamAction.SPAM_ACTION_TAG_SUBJECT,
        onBlacklisted: SpamAction.SPAM_ACTION_REJECT,
        senderBlocklist: ['example.net'],
      },
    };
    service = await startAntispam(
      {
        instance: 'antispam-it',
        controlPlane: { host: '127.0.0.1', port: 1 },
        bindHost: '127.0.0.1',
        stateDir,
        logLevel: 'silent',
        grpcPort: 0,
        metricsPort: 0,
        concurrency: 2,
        scanTimeoutSeconds: 5,
        backupTimeoutSeconds: 1,
      },
      {
        bus: new MemoryBus(),
        logger: createLogger('antispam-it', 'silent'),
        policy: new StaticPolicySource(policy),
        backup,
      },
    );
    const address = `127.0.0.1:${service.ports['grpc']}`;
    client = new AntispamClient(address, credentials.createInsecure());
    health = new HealthClient(address, credentials.createInsecure());
  });

  after(async () => {
    client.close();
    health.close();
    await service.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('reports SERVING health once started', async () => {
    const response = await new Promise<{ status: HealthCheckResponse_ServingStatus }>(
      (resolve, reject) =>
        health.check({ service: 'mailshield.v1.Antispam' }, (err, value) =>
          err === null ? resolve(value) : reject(err),
        ),
    );
    assert.equal(response.status, HealthCheckResponse_ServingStatus.SERVING);
  });

  it('scores GTUBE as spam and returns the tagged message', async () => {
    const raw = buildRaw({ body: `${GTUBE}\r\n` });
    const response = await scoreMessage(client, {
      raw,
      id: 'it-1',
      envelope: {
        clientAddress: '',
        clientHostname: '',
        helo: '',
        mailFrom: 'alice@example.org',
        rcptTo: [],
        receivedAt: undefined,
        tls: false,
        outbound: false,
      },
    });
    assert.equal(response.outcome?.status, 'spam');
    assert.equal(response.outcome?.action, 'tag');
    assert.equal(response.outcome?.policyVersion, 3);
    assert.ok(response.outcome?.findings.some((finding) => finding.name === 'GTUBE'));
    assert.equal(response.disposition, Disposition.DISPOSITION_DELIVER);
    assert.equal(getHeader(response.raw, 'X-Spam-Flag'), 'YES');
    assert.ok(response.raw.subarray(headerEnd(response.raw)).equals(raw.subarray(headerEnd(raw))));
  });

  it('reports a reject without storing a backup', async () => {
    const raw = buildRaw({ headers: { From: '"ceo@example.com x"@example.net' } });
    const response = await scoreMessage(client, { raw, id: 'it-2' });
    assert.equal(response.outcome?.status, 'blacklisted');
    assert.equal(response.disposition, Disposition.DISPOSITION_REJECT);
    assert.deepEqual(stored, []);
  });

  it('answers INVALID_ARGUMENT for an empty message', async () => {
    await assert.rejects(scoreMessage(client, { raw: Buffer.alloc(0) }), (err: ServiceError) => {
      assert.equal(err.code, GrpcStatus.INVALID_ARGUMENT);
      assert.deepEqual(err.metadata.get('mailshield-error-code'), ['AS_INVALID_REQUEST']);
      return true;
    });
  });

  it('serves the antispam metrics', async () => {
    const response = await fetch(`http://127.0.0.1:${service.ports['metrics']}/metrics`);
    const text = await response.text();
    assert.match(text, /mailshield_antispam_messages_total\{status="spam",action="tag"\} 1/);
  });
});
