import { deflateRawSync, crc32 } from 'node:zlib';
import { createServer, type Server, type Socket } from 'node:net';
import { parseHostPort, type HostPort } from '@mailshield/common';

export const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

/**
 * Reads the clamd address for tests from MAILSHIELD_CLAMD_ADDRESS. Without it a test fails under
 * CI=true and is skipped otherwise; `skip` is the reason to pass to node:test.
 */
export function clamdAddress(): { address: HostPort | undefined; skip: string | false } {
  const raw = process.env['MAILSHIELD_CLAMD_ADDRESS'];
  if (raw === undefined || raw === '') {
    if (process.env['CI'] === 'true')
      throw new Error('MAILSHIELD_CLAMD_ADDRESS is not set: start clamd first');
    return { address: undefined, skip: 'MAILSHIELD_CLAMD_ADDRESS is not set' };
  }
  const address = parseHostPort(raw);
  if (address === undefined)
    throw new Error(`MAILSHIELD_CLAMD_ADDRESS=${raw} is invalid: expected host:port`);
  return { address, skip: false };
}

/** Joins lines with CRLF. */
export function crlf(lines: string[]): Buffer {
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

/** Base64 wrapped at 76 columns, as mail clients write it. */
export function base64Lines(data: Buffer): string {
  return data.toString('base64').replace(/.{76}/g, '$&\r\n').replace(/\r\n$/, '');
}

/** Builds a multipart/mixed message with a text part and one base64 attachment. */
export function mailWithAttachment(
  name: string,
  content: Buffer,
  type = 'application/octet-stream',
): Buffer {
  return crlf([
    'From: sender@example.org',
    'To: recipient@example.com',
    `Subject: attachment ${name}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="att-boundary"',
    '',
    '--att-boundary',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'Please see the attachment.',
    '--att-boundary',
    `Content-Type: ${type}; name="${name}"`,
    `Content-Disposition: attachment; filename="${name}"`,
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(content),
    '--att-boundary--',
    '',
  ]);
}

/**
 * A zip archive whose members are deflated, so a scanner must unpack it to see them
 * (Info-ZIP stores small files uncompressed, which would leave the bytes in plain sight).
 */
export function deflatedZip(files: { name: string; content: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(file.name, 'utf8');
    const data = deflateRawSync(file.content, { level: 9 });
    const crc = crc32(file.content);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(file.content.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(file.content.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const centralDirectory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralDirectory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralDirectory, end]);
}

/** Starts a TCP server on 127.0.0.1 that accepts and reads but never replies, like a hung clamd. */
export async function startSilentServer(): Promise<{ address: HostPort; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    address: { host: '127.0.0.1', port },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Returns a loopback port that had a listener a moment ago and has none now. */
export async function closedPort(): Promise<HostPort> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { host: '127.0.0.1', port };
}
