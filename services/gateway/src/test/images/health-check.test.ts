import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Server, ServerCredentials, status as grpcStatus } from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus,
  HealthService,
  type HealthServer,
} from '@mailshield/proto/health';
import { freePort, repoRoot } from '../harness/processes.js';

interface Result {
  status: number | null;
  stderr: string;
}

/** Runs the script as a child process, because it ends with process.exit. */
function healthCheck(args: string[]): Promise<Result> {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(
      process.execPath,
      [join(repoRoot, 'deploy/grpc-health-check.js'), ...args],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    child.once('error', rejectRun);
    child.once('close', (status) => resolveRun({ status, stderr }));
  });
}

describe('deploy/grpc-health-check.js', { timeout: 60_000 }, () => {
  const server = new Server();
  /** The status the fake health service reports for the service name "". */
  let serving = HealthCheckResponse_ServingStatus.SERVING;
  let port = 0;

  before(async () => {
    // A fake health service whose status each test sets, since the script only calls Check.
    const implementation: HealthServer = {
      check: (call, callback) => {
        if (call.request.service !== '') {
          callback({
            code: grpcStatus.NOT_FOUND,
            details: `unknown service ${call.request.service}`,
          });
          return;
        }
        callback(null, { status: serving });
      },
      watch: (call) => call.end(),
    };
    server.addService(HealthService, implementation);
    port = await new Promise<number>((resolveBind, rejectBind) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) =>
        err === null ? resolveBind(bound) : rejectBind(err),
      ),
    );
  });

  after(() => server.forceShutdown());

  test('exits 0 for SERVING', async () => {
    serving = HealthCheckResponse_ServingStatus.SERVING;
    const result = await healthCheck([`127.0.0.1:${port}`]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
  });

  test('exits 1 for NOT_SERVING', async () => {
    serving = HealthCheckResponse_ServingStatus.NOT_SERVING;
    const result = await healthCheck([`127.0.0.1:${port}`]);
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      new RegExp(`127\\.0\\.0\\.1:${port} is not serving \\(status 2\\)`),
    );
  });

  test('exits 1 for a service the server does not know', async () => {
    serving = HealthCheckResponse_ServingStatus.SERVING;
    const result = await healthCheck([`127.0.0.1:${port}`, 'mailshield.v1.Unknown']);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /NOT_FOUND/);
  });

  test('exits 1 when nothing listens', async () => {
    const closed = await freePort();
    const result = await healthCheck([`127.0.0.1:${closed}`]);
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      new RegExp(`health check of 127\\.0\\.0\\.1:${closed} failed: .*UNAVAILABLE.*ECONNREFUSED`),
    );
  });

  test('exits 2 without an address', async () => {
    const result = await healthCheck([]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^usage: node deploy\/grpc-health-check\.js HOST:PORT/);
  });
});
