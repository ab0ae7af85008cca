import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { allPids, listenerPid, readMachineBusySeconds, readProcessStat } from './proc.js';

test('process stat of this process', () => {
  const stat = readProcessStat(process.pid);
  assert.ok(stat !== undefined);
  assert.equal(stat.ppid, process.ppid);
  assert.ok(stat.cpuSeconds > 0);
  assert.ok(stat.cpuSecondsWithChildren >= stat.cpuSeconds);
});

test('process stat of a missing process', () => {
  const missing = Math.max(...allPids()) + 1_000_000;
  assert.equal(readProcessStat(missing), undefined);
});

test('machine busy seconds grow', () => {
  const before = readMachineBusySeconds();
  const end = Date.now() + 50;
  while (Date.now() < end);
  assert.ok(readMachineBusySeconds() > before);
});

test('listener pid finds this process', async () => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    assert.equal(listenerPid(port), process.pid);
    assert.equal(
      listenerPid(port, (pid) => pid !== process.pid),
      undefined,
    );
  } finally {
    server.close();
  }
});
