import { deflateRawSync, crc32, constants as zlibConstants } from 'node:zlib';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/** One member of a zip built by `buildZip`; every field but the name has a working default. */
export interface ZipMemberSpec {
  name: string;
  /** Uncompressed content; its CRC and size go into the headers unless overridden. */
  content?: Buffer;
  /** Compression method: 0 stores, 8 deflates `content`, any other value needs `data`. */
  method?: number;
  /** Member data exactly as it goes into the archive (already compressed or encrypted). */
  data?: Buffer;
  /** Uncompressed size written to the headers, true or not. */
  declaredSize?: number;
  crc?: number;
  /** General purpose bit flag: bit 0 encrypted, bit 3 data descriptor, bit 11 UTF-8 name. */
  flags?: number;
  /** Raw name bytes, for names that are not UTF-8 (CP437 without the UTF-8 flag). */
  rawName?: Buffer;
  /** Extra field records for both headers, such as the AES (0x9901) record. */
  extra?: Buffer;
}

export interface BuildZipOptions {
  /** Writes ZIP64 sizes, offsets and end records, as archives over 4 GiB need. */
  zip64?: boolean;
  /** Bytes before the first member, like the stub of a self-extracting archive. */
  prefix?: Buffer;
}

interface BuiltMember {
  name: Buffer;
  data: Buffer;
  method: number;
  flags: number;
  crc: number;
  declaredSize: number;
  extra: Buffer;
}

function builtMember(spec: ZipMemberSpec): BuiltMember {
  const content = spec.content ?? Buffer.alloc(0);
  const method = spec.method ?? 8;
  const data =
    spec.data ?? (method === 8 ? deflateRawSync(content, { level: 9 }) : Buffer.from(content));
  return {
    name: spec.rawName ?? Buffer.from(spec.name, 'utf8'),
    data,
    method,
    flags: spec.flags ?? 0,
    crc: spec.crc ?? crc32(content),
    declaredSize: spec.declaredSize ?? content.length,
    extra: spec.extra ?? Buffer.alloc(0),
  };
}

/** ZIP64 extended information extra field with the uncompressed size, compressed size, offset. */
function zip64Extra(values: number[]): Buffer {
  const extra = Buffer.alloc(4 + 8 * values.length);
  extra.writeUInt16LE(0x0001, 0);
  extra.writeUInt16LE(8 * values.length, 2);
  values.forEach((value, index) => extra.writeBigUInt64LE(BigInt(value), 4 + 8 * index));
  return extra;
}

function zipLocalHeader(member: BuiltMember, zip64: boolean): Buffer {
  const extra = Buffer.concat([
    zip64 ? zip64Extra([member.declaredSize, member.data.length]) : Buffer.alloc(0),
    member.extra,
  ]);
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(zip64 ? 45 : 20, 4);
  header.writeUInt16LE(member.flags, 6);
  header.writeUInt16LE(member.method, 8);
  header.writeUInt32LE(member.crc, 14);
  header.writeUInt32LE(zip64 ? 0xffffffff : member.data.length, 18);
  header.writeUInt32LE(zip64 ? 0xffffffff : member.declaredSize, 22);
  header.writeUInt16LE(member.name.length, 26);
  header.writeUInt16LE(extra.length, 28);
  return Buffer.concat([header, member.name, extra]);
}

function zipCentralHeader(member: BuiltMember, offset: number, zip64: boolean): Buffer {
  const extra = Buffer.concat([
    zip64 ? zip64Extra([member.declaredSize, member.data.length, offset]) : Buffer.alloc(0),
    member.extra,
  ]);
  const header = Buffer.alloc(46);
  header.writeUInt32LE(0x02014b50, 0);
  header.writeUInt16LE(zip64 ? 45 : 20, 4);
  header.writeUInt16LE(zip64 ? 45 : 20, 6);
  header.writeUInt16LE(member.flags, 8);
  header.writeUInt16LE(member.method, 10);
  header.writeUInt32LE(member.crc, 16);
  header.writeUInt32LE(zip64 ? 0xffffffff : member.data.length, 20);
  header.writeUInt32LE(zip64 ? 0xffffffff : member.declaredSize, 24);
  header.writeUInt16LE(member.name.length, 28);
  header.writeUInt16LE(extra.length, 30);
  header.writeUInt32LE(zip64 ? 0xffffffff : offset, 42);
  return Buffer.concat([header, member.name, extra]);
}

function zipEndRecords(count: number, size: number, offset: number, zip64: boolean): Buffer {
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(zip64 ? 0xffff : count, 8);
  end.writeUInt16LE(zip64 ? 0xffff : count, 10);
  end.writeUInt32LE(zip64 ? 0xffffffff : size, 12);
  end.writeUInt32LE(zip64 ? 0xffffffff : offset, 16);
  if (!zip64) return end;
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4);
  record.writeUInt16LE(45, 12);
  record.writeUInt16LE(45, 14);
  record.writeBigUInt64LE(BigInt(count), 24);
  record.writeBigUInt64LE(BigInt(count), 32);
  record.writeBigUInt64LE(BigInt(size), 40);
  record.writeBigUInt64LE(BigInt(offset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(offset + size), 8);
  locator.writeUInt32LE(1, 16);
  return Buffer.concat([record, locator, end]);
}

/**
 * Builds a zip archive member by member, with control over methods, flags, declared sizes and
 * CRCs, so tests can make encrypted, lying, stored, ZIP64 and nested archives.
 */
export function buildZip(specs: ZipMemberSpec[], options: BuildZipOptions = {}): Buffer {
  const zip64 = options.zip64 ?? false;
  const prefix = options.prefix ?? Buffer.alloc(0);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = prefix.length;
  for (const member of specs.map(builtMember)) {
    const local = zipLocalHeader(member, zip64);
    centrals.push(zipCentralHeader(member, offset, zip64));
    locals.push(local, member.data);
    offset += local.length + member.data.length;
  }
  const central = Buffer.concat(centrals);
  const end = zipEndRecords(specs.length, central.length, offset, zip64);
  return Buffer.concat([prefix, ...locals, central, end]);
}

const MIB = 1024 * 1024;

/**
 * Raw deflate data that inflates to `size` zero bytes at about 1000:1, built from one
 * compressed MiB repeated: each piece ends with a full flush, so pieces can follow each other,
 * and an empty final block closes the stream. A 300 MiB bomb takes milliseconds to build.
 */
export function deflatedZeros(size: number): Buffer {
  const flush = { level: 9, finishFlush: zlibConstants.Z_FULL_FLUSH };
  const whole = deflateRawSync(Buffer.alloc(MIB), flush);
  const pieces: Buffer[] = new Array<Buffer>(Math.floor(size / MIB)).fill(whole);
  if (size % MIB > 0) pieces.push(deflateRawSync(Buffer.alloc(size % MIB), flush));
  // Final fixed-Huffman block with only the end-of-block code.
  pieces.push(Buffer.from([0x03, 0x00]));
  return Buffer.concat(pieces);
}

/** CRC-32 of `size` zero bytes. */
export function zerosCrc32(size: number): number {
  const zeros = Buffer.alloc(Math.min(size, 16 * MIB));
  let crc = 0;
  for (let done = 0; done < size; done += zeros.length)
    crc = crc32(zeros.subarray(0, Math.min(zeros.length, size - done)), crc);
  return crc;
}

/** One attachment of a TNEF stream built by `buildTnef`. */
export interface TnefAttachmentSpec {
  /** attAttachTitle, the 8.3 or display title. */
  title?: string;
  /** PR_ATTACH_LONG_FILENAME, written as a PT_UNICODE MAPI property. */
  longFileName?: string;
  /** attAttachData. */
  content?: Buffer;
  /** A whole TNEF stream attached as a message (PR_ATTACH_DATA_OBJ, ATTACH_EMBEDDED_MSG). */
  embeddedMessage?: Buffer;
}

/** Encodes one TNEF attribute: level, id, length, data and the 16-bit sum of the data bytes. */
export function tnefAttribute(level: number, id: number, data: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUInt8(level, 0);
  head.writeUInt32LE(id, 1);
  head.writeUInt32LE(data.length, 5);
  const checksum = Buffer.alloc(2);
  checksum.writeUInt16LE(
    data.reduce((sum, byte) => (sum + byte) & 0xffff, 0),
    0,
  );
  return Buffer.concat([head, data, checksum]);
}

function padded(data: Buffer): Buffer {
  return Buffer.concat([data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
}

/** Encodes a variable-length MAPI property: one value, its length, its bytes padded to 4. */
function mapiVariableProp(type: number, id: number, value: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16LE(type, 0);
  head.writeUInt16LE(id, 2);
  head.writeUInt32LE(1, 4);
  head.writeUInt32LE(value.length, 8);
  return Buffer.concat([head, padded(value)]);
}

function tnefAttachmentProps(spec: TnefAttachmentSpec): Buffer {
  const props: Buffer[] = [];
  if (spec.longFileName !== undefined) {
    const name = Buffer.from(`${spec.longFileName}\0`, 'utf16le');
    props.push(mapiVariableProp(0x001f, 0x3707, name));
  }
  if (spec.embeddedMessage !== undefined) {
    const method = Buffer.alloc(8);
    method.writeUInt16LE(0x0003, 0);
    method.writeUInt16LE(0x3705, 2);
    method.writeUInt32LE(5, 4);
    // IID_IMessage {00020307-0000-0000-C000-000000000046} comes before the inner stream.
    const iid = Buffer.from('0703020000000000c000000000000046', 'hex');
    props.push(
      method,
      mapiVariableProp(0x000d, 0x3701, Buffer.concat([iid, spec.embeddedMessage])),
    );
  }
  const count = Buffer.alloc(4);
  count.writeUInt32LE(props.length, 0);
  return Buffer.concat([count, ...props]);
}

/** Builds a TNEF stream (winmail.dat) with a message class and the given attachments. */
export function buildTnef(attachments: TnefAttachmentSpec[]): Buffer {
  const head = Buffer.alloc(6);
  head.writeUInt32LE(0x223e9f78, 0);
  head.writeUInt16LE(0x0001, 4);
  const parts = [
    head,
    tnefAttribute(1, 0x00089006, Buffer.from([0x00, 0x00, 0x01, 0x00])),
    tnefAttribute(1, 0x00078008, Buffer.from('IPM.Microsoft Mail.Note\0', 'latin1')),
  ];
  for (const spec of attachments) {
    parts.push(tnefAttribute(2, 0x00069002, Buffer.alloc(14)));
    if (spec.title !== undefined)
      parts.push(tnefAttribute(2, 0x00018010, Buffer.from(`${spec.title}\0`, 'latin1')));
    if (spec.content !== undefined) parts.push(tnefAttribute(2, 0x0006800f, spec.content));
    if (spec.longFileName !== undefined || spec.embeddedMessage !== undefined)
      parts.push(tnefAttribute(2, 0x00069005, tnefAttachmentProps(spec)));
  }
  return Buffer.concat(parts);
}

/** Builds a ustar archive of regular files. */
export function buildTar(files: { name: string; content: Buffer }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const file of files) {
    const header = Buffer.alloc(512);
    header.write(file.name, 0, 100, 'utf8');
    header.write('0000644\0', 100, 'latin1');
    header.write(`${file.content.length.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    header.write('00000000000\0', 136, 'latin1');
    header.write('0', 156, 'latin1');
    header.write('ustar\x0000', 257, 'latin1');
    header.write('        ', 148, 'latin1');
    const sum = header.reduce((total, byte) => total + byte, 0);
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    blocks.push(header, file.content, Buffer.alloc((512 - (file.content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** Returns the clamd binary for tests that start their own: env CLAMD, default /usr/sbin/clamd. */
export function clamdBinary(): { path: string; skip: string | false } {
  const path = process.env['CLAMD'] ?? '/usr/sbin/clamd';
  if (existsSync(path)) return { path, skip: false };
  if (process.env['CI'] === 'true') throw new Error(`${path} not found: install clamav-daemon`);
  return { path, skip: `${path} not found` };
}

/** A clamd process of its own, started by `startClamd`. */
export interface ClamdProcess {
  address: HostPort;
  process: ChildProcess;
  /** Temporary folder with clamd.conf, the copy of the signature database and clamd.log. */
  dir: string;
  /** Sends one command such as `RELOAD` and resolves the reply without its NUL. */
  command(name: string): Promise<string>;
  /** Starts clamd again on the same port and configuration, after it was stopped or killed. */
  restart(): Promise<void>;
  /** Stops clamd (SIGTERM, SIGKILL after 5 s) when it still runs, then removes `dir`. */
  stop(): Promise<void>;
}

/**
 * Starts /usr/sbin/clamd in the foreground on a free loopback port, with the project's test
 * signatures (deploy/local/clamav-db) copied into a temporary folder, and resolves once it
 * replies to PING. `config` adds clamd.conf lines, such as `StreamMaxLength 1M`.
 */
export async function startClamd(config: string[] = []): Promise<ClamdProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'mailshield-clamd-'));
  await copySignatures(join(dir, 'db'));
  let lastError: unknown;
  // Another process may take the free port before clamd binds it, so a few tries are allowed.
  for (let attempt = 0; attempt < 3; attempt++) {
    const address = await closedPort();
    await writeFile(join(dir, 'clamd.conf'), clamdConfig(dir, address.port, config));
    const child = spawnClamd(dir);
    let stderr = '';
    child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
    try {
      await waitForPong(address, child, 60_000);
      return clamdProcess(address, child, dir);
    } catch (err) {
      lastError = new Error(`clamd did not start: ${String(err)}; stderr: ${stderr}`);
      await stopChild(child);
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError;
}

async function copySignatures(target: string): Promise<void> {
  const source = fileURLToPath(new URL('../../../../deploy/local/clamav-db/', import.meta.url));
  await mkdir(target, { recursive: true });
  for (const name of await readdir(source)) {
    if (/\.(hdb|ndb)$/.test(name)) await copyFile(join(source, name), join(target, name));
  }
}

function clamdConfig(dir: string, port: number, extra: string[]): string {
  return [
    'Foreground yes',
    `TCPSocket ${port}`,
    'TCPAddr 127.0.0.1',
    `DatabaseDirectory ${join(dir, 'db')}`,
    `LogFile ${join(dir, 'clamd.log')}`,
    'LogTime yes',
    'ScanMail yes',
    'ScanArchive yes',
    'AlertEncrypted yes',
    'AlertExceedsMax yes',
    ...extra,
    '',
  ].join('\n');
}

function spawnClamd(dir: string): ChildProcess {
  return spawn(clamdBinary().path, [`--config-file=${join(dir, 'clamd.conf')}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

function clamdProcess(address: HostPort, child: ChildProcess, dir: string): ClamdProcess {
  const handle: ClamdProcess = {
    address,
    process: child,
    dir,
    command: (name) => sendClamdCommand(address, name, 10_000),
    restart: async () => {
      await stopChild(handle.process);
      handle.process = spawnClamd(dir);
      handle.process.stderr!.resume();
      await waitForPong(address, handle.process, 60_000);
    },
    stop: async () => {
      await stopChild(handle.process);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return handle;
}

async function waitForPong(
  address: HostPort,
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`clamd exited (${child.exitCode ?? child.signalCode})`);
    const reply = await sendClamdCommand(address, 'PING', 1000).catch(() => '');
    if (reply === 'PONG') return;
    if (Date.now() - started > timeoutMs) throw new Error(`no PONG within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Sends `z<name>\0` to clamd and resolves its reply without the trailing NUL. */
export function sendClamdCommand(
  address: HostPort,
  name: string,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(address.port, address.host);
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`${name} timed out`)));
    socket.on('data', (data: Buffer) => chunks.push(data));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8').replace(/\0$/, '')));
    socket.write(`z${name}\0`);
  });
}

/** A TCP server on 127.0.0.1 that plays a scripted part, such as a clamd that misbehaves. */
export interface ScriptedServer {
  address: HostPort;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections open now. */
  readonly open: number;
  /** Most connections open at the same time. */
  readonly maxOpen: number;
  /** Destroys every open connection and stops listening. */
  close(): Promise<void>;
}

/** Starts a ScriptedServer that runs `onConnection` for each client, on `port` (0 picks one). */
export async function startScriptedServer(
  onConnection: (socket: Socket) => void,
  port = 0,
): Promise<ScriptedServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let maxOpen = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    maxOpen = Math.max(maxOpen, sockets.size);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    address: { host: '127.0.0.1', port: (server.address() as { port: number }).port },
    get accepted() {
      return accepted;
    },
    get open() {
      return sockets.size;
    },
    get maxOpen() {
      return maxOpen;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Returns a scripted clamd handler that reads one `z` command (for INSTREAM, up to the zero-length chunk), waits
 * `delayMs`, then sends `reply` with its NUL and closes, as clamd does.
 */
export function fakeClamd(
  reply: (command: string) => string,
  delayMs = 0,
): (socket: Socket) => void {
  return (socket) => {
    let received = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      received = Buffer.concat([received, data]);
      const command = completeCommand(received);
      if (command === undefined) return;
      socket.removeAllListeners('data');
      setTimeout(() => socket.end(`${reply(command)}\0`), delayMs);
    });
  };
}

/** Returns the command once it has fully arrived, INSTREAM data included, else undefined. */
function completeCommand(received: Buffer): string | undefined {
  const end = received.indexOf(0);
  if (end < 0) return undefined;
  const command = received.toString('latin1', 1, end);
  if (command !== 'INSTREAM') return command;
  for (let offset = end + 1; offset + 4 <= received.length;) {
    const length = received.readUInt32BE(offset);
    if (length === 0) return command;
    offset += 4 + length;
  }
  return undefined;
}
