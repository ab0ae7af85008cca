import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  createLogger,
  defaultPolicy,
  MemoryBus,
  StaticPolicySource,
  type RunningService,
} from '@mailshield/common';
import { AntispamClient, type ScoreMessageResponse } from '@mailshield/proto/antispam';
import { Envelope } from '@mailshield/proto/message';
import type { AntispamPolicy, Policy } from '@mailshield/proto/policy';
import { startAntispam, type AntispamOptions } from '../../index.js';
import { TestDnsServer } from '../dns-server.js';
import { buildRaw } from '../fixtures.js';

const LISTED_IP = '192.0.2.99';

function scoreMessage(
  client: AntispamClient,
  clientAddress: string,
): Promise<ScoreMessageResponse> {
  const envelope = Envelope.fromPartial({
    clientAddress,
    helo: 'mail.example.org',
    mailFrom: 'alice@example.org',
    rcptTo: ['bob@example.com'],
  });
  return new Promise((resolve, reject) => {
    client.scoreMessage(
      { raw: buildRaw(), id: `dns-${clientAddress}`, envelope },
      new Metadata(),
      (err: ServiceError | null, response: ScoreMessageResponse) =>
        err === null ? resolve(response) : reject(err),
    );
  });
}

async function startWith(
  stateDir: string,
  dns: Pick<AntispamOptions, 'dnsServers' | 'authentication'>,
  antispam: Partial<AntispamPolicy>,
): Promise<{ service: RunningService; client: AntispamClient }> {
  const base = defaultPolicy();
  const policy: Policy = { ...base, version: 1, antispam: { ...base.antispam!, ...antispam } };
  const service = await startAntispam(
    {
      instance: 'antispam-dns-it',
      controlPlane: { host: '127.0.0.1', port: 1 },
      bindHost: '127.0.0.1',
      stateDir,
      logLevel: 'silent',
      grpcPort: 0,
      metricsPort: 0,
      concurrency: 2,
      scanTimeoutSeconds: 5,
      backupTimeoutSeconds: 1,
      dnsTimeoutSeconds: 1,
      ...dns,
    },
    {
      bus: new MemoryBus(),
      logger: createLogger('antispam-dns-it', 'silent'),
      policy: new StaticPolicySource(policy),
      backup: { store: async () => true, close: () => undefined },
    },
  );
  const address = `127.0.0.1:${service.ports['grpc']}`;
  return { service, client: new AntispamClient(address, credentials.createInsecure()) };
}

describe('DNS checks in the antispam service', () => {
  let server: TestDnsServer;
  let stateDir: string;

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'antispam-dns-it-'));
    server = await TestDnsServer.start({
      'example.org': { TXT: ['v=spf1 ip4:192.0.2.10 -all'] },
      '_dmarc.example.org': { TXT: ['v=DMARC1; p=reject'] },
      '99.2.0.192.bl.example.net': { A: ['127.0.0.2'] },
    });
  });

  after(async () => {
    await server.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('scores forged mail from listed client', async () => {
    const { service, client } = await startWith(
      stateDir,
      { dnsServers: [server.address], authentication: true },
      { clientBlocklists: [{ zone: 'bl.example.net', score: 3, returnCodes: [] }] },
    );
    try {
      const response = await scoreMessage(client, LISTED_IP);
      const names = response.outcome?.findings.map((finding) => finding.name) ?? [];
      assert.ok(names.includes('DNSBL_CLIENT_LISTED'), names.join(' '));
      assert.ok(names.includes('SPF_FAIL'), names.join(' '));
      assert.ok(names.includes('DMARC_REJECT'), names.join(' '));
      assert.equal(response.outcome?.status, 'spam');
    } finally {
      client.close();
      await service.stop();
    }
  });

  it('sends no query when unconfigured', async () => {
    const { service, client } = await startWith(
      stateDir,
      { dnsServers: [server.address], authentication: false },
      {},
    );
    server.questions.length = 0;
    try {
      const response = await scoreMessage(client, LISTED_IP);
      assert.equal(response.outcome?.status, 'clean');
      assert.deepEqual(server.questions, []);
    } finally {
      client.close();
      await service.stop();
    }
  });
});
