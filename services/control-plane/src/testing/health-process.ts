/**
 * A small process for tests that serves grpc.health.v1 as a component would:
 * `node health-process.js HOST PORT STATUS` binds HOST:PORT (0 picks a free port), sets the
 * overall health to STATUS, prints `{"port":N}` on stdout and runs until it is killed.
 */
import { createLogger, startGrpcServer } from '@mailshield/common';

const [host = '127.0.0.1', port = '0', health = 'SERVING'] = process.argv.slice(2);
const server = await startGrpcServer(
  host,
  Number(port),
  [],
  createLogger('health-process', 'silent'),
);
server.setHealth(health === 'SERVING' ? 'SERVING' : 'NOT_SERVING');
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
