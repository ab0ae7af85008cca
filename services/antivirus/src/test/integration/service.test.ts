import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createLogger,
  DEGRADED_HEALTH_SERVICE,
  insecureCredentials,
  MemoryBus,
  type HostPort,
} from '@mailshield/common';
import { AntivirusClient, type ScanMessageResponse } from '@mailshield/proto/antivirus';
import { HealthClient, HealthCheckResponse_ServingStatus } from '@mailshield/proto/health';
import { Disposition } from '@mailshield/proto/message';
import { readAntivirusOptions } from '../../config.js';
import { startAntivirus } from '../../index.js';
import { FakeBackupStore, fixedPolicy } from '../fakes.js';
import {
  clamdAddress,
  closedPort,
  EICAR,
  fakeClamd,
  mailWithAttachment,
  startScriptedServer,
} from '../helpers.js';

const { address, skip } = clamdAddress();
const logger = createLogger('antivirus-test', 'silent');

async function start(clamd: HostPort) {
  const storeDir = await mkdtemp(join(tmpdir(), 'mailshield-av-store-'));
  const options = {
    ...readAntivirusOptions({}),
    clamd: [{ address: clamd, sharesStore: true }],
    clamdSharesStore: true,
    storeDir,
    grpcPort: 0,
    metricsPort: 0,
    healthIntervalSeconds: 0.2,
  };
  const bus = new MemoryBus();
  const service = await startAntivirus(options, {
    bus,
    logger,
    policy: fixedPolicy(),
    backup: new FakeBackupStore(),
  });
  const target = `127.0.0.1:${service.ports['grpc']}`;
  return {
    service,
    storeFolder: join(storeDir, options.instance),
    bus,
    antivirus: new AntivirusClient(target, insecureCredentials),
    health: new HealthClient(target, insecureCredentials),
  };
}

function healthOf(
  client: InstanceType<typeof HealthClient>,
  service = '',
): Promise<HealthCheckResponse_ServingStatus> {
  return new Promise((resolve, reject) =>
    client.check({ service }, (err, response) =>
      err === null ? resolve(response.status) : reject(err),
    ),
  );
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('service scans over gRPC and reports health', { skip }, async () => {
  const { service, bus, antivirus, health, storeFolder } = await start(address!);
  try {
    await eventually(
      async () => (await healthOf(health)) === HealthCheckResponse_ServingStatus.SERVING,
    );
    await eventually(async () => bus.subscriptions.length > 0);
    const response = await new Promise<ScanMessageResponse>((resolve, reject) =>
      antivirus.scanMessage(
        {
          raw: mailWithAttachment('eicar.com', Buffer.from(EICAR, 'latin1')),
          id: 'grpc-1',
          outbound: false,
        },
        (err, res) => (err === null ? resolve(res) : reject(err)),
      ),
    );
    assert.equal(response.outcome!.status, 'infected');
    assert.equal(response.disposition, Disposition.DISPOSITION_REJECT);
    const metrics = await service.registry.metrics();
    assert.match(
      metrics,
      /mailshield_antivirus_messages_total\{status="infected",action="reject"\} 1/,
    );
    assert.match(metrics, /mailshield_antivirus_scan_duration_seconds_count 1/);
    // The objects went to clamd by path through the store, which is empty again.
    assert.deepEqual(await readdir(storeFolder), []);
  } finally {
    antivirus.close();
    health.close();
    await service.stop();
  }
});

test('service rejects an empty gRPC request', { skip }, async () => {
  const { service, antivirus, health } = await start(address!);
  try {
    const err = await new Promise<{ code?: number }>((resolve) =>
      antivirus.scanMessage({ raw: Buffer.alloc(0), id: 'x', outbound: false }, (error) =>
        resolve(error ?? {}),
      ),
    );
    assert.equal(err.code, 3);
  } finally {
    antivirus.close();
    health.close();
    await service.stop();
  }
});

test('service is not serving while clamd is down', async () => {
  const { service, antivirus, health } = await start(await closedPort());
  try {
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(await healthOf(health), HealthCheckResponse_ServingStatus.NOT_SERVING);
  } finally {
    antivirus.close();
    health.close();
    await service.stop();
  }
});

test('service is degraded with stale signatures', async () => {
  const built = ctime(new Date(Date.now() - 72 * 3600 * 1000));
  const clamd = await startScriptedServer(
    fakeClamd((command) => {
      if (command.endsWith('PING')) return 'PONG';
      if (command.endsWith('VERSION')) return `ClamAV 1.4.6/27400/${built}`;
      return 'stream: OK';
    }),
  );
  const { service, antivirus, health } = await start(clamd.address);
  try {
    await eventually(
      async () => (await healthOf(health)) === HealthCheckResponse_ServingStatus.SERVING,
    );
    await eventually(
      async () =>
        (await healthOf(health, DEGRADED_HEALTH_SERVICE)) ===
        HealthCheckResponse_ServingStatus.NOT_SERVING,
    );
    const metrics = await service.registry.metrics();
    assert.match(metrics, /mailshield_antivirus_signatures_stale 1/);
    assert.match(
      metrics,
      /mailshield_antivirus_signature_version\{endpoint="127\.0\.0\.1:\d+"\} 27400/,
    );
    const age = /mailshield_antivirus_signature_age_seconds\{[^}]*\} (\d+)/.exec(metrics);
    assert.ok(age !== null, metrics);
    assert.ok(Number(age[1]) >= 72 * 3600 - 60, `signature age ${age[1]}`);
  } finally {
    antivirus.close();
    health.close();
    await service.stop();
    await clamd.close();
  }
});

/** Formats a date as clamd's VERSION reply does, such as `Thu Dec  3 09:33:02 2026`. */
function ctime(date: Date): string {
  const [weekday, , month, , time] = date.toUTCString().split(' ');
  const day = String(date.getUTCDate()).padStart(2, ' ');
  return `${weekday!.replace(',', '')} ${month} ${day} ${time} ${date.getUTCFullYear()}`;
}
