import { connect } from 'node:net';

/** spamd's verdict on one message. */
export interface SpamdVerdict {
  score: number;
  threshold: number;
}

/** Sends one request of the spamc protocol (version 1.5) and returns spamd's whole reply. */
function exchange(port: number, request: Buffer, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new Error(`spamd on 127.0.0.1:${port} timed out after ${timeoutMs} ms`)),
    );
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.end(request);
  });
}

/** Returns true when spamd replies to PING with PONG. */
export async function pingSpamd(port: number): Promise<boolean> {
  try {
    const reply = await exchange(port, Buffer.from('PING SPAMC/1.5\r\n\r\n'), 5_000);
    return /^SPAMD\/[\d.]+ 0 PONG/.test(reply);
  } catch {
    return false;
  }
}

/**
 * Asks spamd to CHECK a message and returns its score and threshold. Throws when spamd
 * replies with an error code or without a `Spam:` line.
 */
export async function checkWithSpamd(
  port: number,
  message: Buffer,
  timeoutMs = 120_000,
): Promise<SpamdVerdict> {
  const head = `CHECK SPAMC/1.5\r\nContent-length: ${message.length}\r\n\r\n`;
  const reply = await exchange(port, Buffer.concat([Buffer.from(head), message]), timeoutMs);
  const status = /^SPAMD\/[\d.]+ (\d+) (.*)/.exec(reply);
  if (status === null || status[1] !== '0')
    throw new Error(`spamd replied ${JSON.stringify(reply.slice(0, 200))}`);
  const verdict = /^Spam: \S+ ; (-?[\d.]+) \/ (-?[\d.]+)/m.exec(reply);
  if (verdict === null) throw new Error(`spamd reply has no Spam line: ${JSON.stringify(reply)}`);
  return { score: Number(verdict[1]), threshold: Number(verdict[2]) };
}
