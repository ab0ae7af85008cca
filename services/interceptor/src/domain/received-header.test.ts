import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildReceivedHeader } from './received-header.js';

test('received header neutralizes client values', () => {
  const header = buildReceivedHeader({
    helo: 'evil\r\nX-Injected: yes',
    clientAddress: '192.0.2.1',
    serverName: 'mx.example.com',
    tls: true,
    messageId: 'id-1',
    recipients: ['a@example.com>\r\nX-Bad: 1'],
    receivedAt: new Date('2024-01-01T10:00:00Z'),
  });
  const lines = header.split('\r\n');
  assert.equal(lines[0], 'Received: from evil??X-Injected:?yes ([192.0.2.1])');
  assert.ok(lines.slice(1, -1).every((line) => line.startsWith('\t')));
  assert.match(header, /with ESMTPS/);
  assert.match(header, /; Mon, 01 Jan 2024 10:00:00 \+0000\r\n$/);
});
