import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { checkWithSpamd, pingSpamd } from './spamd-client.js';

/** Starts a loopback stand-in for spamd that replies to one request per connection. */
function fakeSpamd(reply: (request: string) => string): Promise<Server> {
  const server = createServer((socket) => {
    let request = '';
    socket.on('data', (chunk: Buffer) => {
      request += chunk.toString('latin1');
      const end = request.indexOf('\r\n\r\n');
      const length = Number(/Content-length: (\d+)/i.exec(request)?.[1] ?? 0);
      if (end >= 0 && request.length >= end + 4 + length) socket.end(reply(request));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('spamd client', () => {
  let server: Server;
  let port: number;
  const requests: string[] = [];

  before(async () => {
    server = await fakeSpamd((request) => {
      requests.push(request);
      if (request.startsWith('PING')) return 'SPAMD/1.5 0 PONG\r\n';
      if (request.includes('broken')) return 'SPAMD/1.1 76 Bad header line\r\n';
      return 'SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam: True ; 7.3 / 5.0\r\n\r\n';
    });
    const address = server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
  });

  after(() => server.close());

  it('reads score and threshold', async () => {
    const verdict = await checkWithSpamd(port, Buffer.from('Subject: x\r\n\r\nbody\r\n'));
    assert.deepEqual(verdict, { score: 7.3, threshold: 5 });
    assert.match(requests.at(-1)!, /^CHECK SPAMC\/1\.5\r\nContent-length: 20\r\n\r\n/);
  });

  it('rejects an error reply', async () => {
    await assert.rejects(checkWithSpamd(port, Buffer.from('broken')), /spamd replied/);
  });

  it('pings', async () => {
    assert.equal(await pingSpamd(port), true);
  });
});
