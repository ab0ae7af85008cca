import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { expandIPv6 } from '../dns/query-names.js';

/** Records of one name. A name that is absent gets NXDOMAIN. */
export interface NameRecords {
  A?: string[];
  AAAA?: string[];
  /** Each item is one TXT record. Items longer than 255 bytes are split into strings. */
  TXT?: string[];
  /** TTL of every answer for the name, in seconds. Default 300. */
  ttl?: number;
  /** `drop` sends no response (a timeout), `servfail` responds with SERVFAIL. */
  fault?: 'drop' | 'servfail';
}

export type Zone = Record<string, NameRecords>;

const TYPES: Record<number, keyof NameRecords> = { 1: 'A', 16: 'TXT', 28: 'AAAA' };
const TYPE_NAMES: Record<number, string> = {
  1: 'A',
  5: 'CNAME',
  12: 'PTR',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
};

interface Question {
  id: number;
  flags: number;
  name: string;
  type: number;
  /** Offset just past the question, whose bytes the answer repeats. */
  end: number;
}

function readQuestion(packet: Buffer): Question | undefined {
  if (packet.length < 17 || packet.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let offset = 12;
  while (offset < packet.length && packet[offset] !== 0) {
    const length = packet[offset]!;
    labels.push(packet.subarray(offset + 1, offset + 1 + length).toString('latin1'));
    offset += 1 + length;
  }
  if (offset + 5 > packet.length) return undefined;
  const type = packet.readUInt16BE(offset + 1);
  return {
    id: packet.readUInt16BE(0),
    flags: packet.readUInt16BE(2),
    name: labels.join('.').toLowerCase(),
    type,
    end: offset + 5,
  };
}

function rdata(type: keyof NameRecords, value: string): Buffer {
  if (type === 'A') return Buffer.from(value.split('.').map(Number));
  if (type === 'AAAA') return Buffer.from(expandIPv6(value), 'hex');
  const bytes = Buffer.from(value, 'utf8');
  const strings: Buffer[] = [];
  for (let i = 0; i < bytes.length || i === 0; i += 255) {
    const chunk = bytes.subarray(i, i + 255);
    strings.push(Buffer.from([chunk.length]), chunk);
  }
  return Buffer.concat(strings);
}

function answerRecord(type: number, ttl: number, data: Buffer): Buffer {
  const fixed = Buffer.alloc(12);
  fixed.writeUInt16BE(0xc00c, 0); // a pointer to the question's name
  fixed.writeUInt16BE(type, 2);
  fixed.writeUInt16BE(1, 4);
  fixed.writeUInt32BE(ttl, 6);
  fixed.writeUInt16BE(data.length, 10);
  return Buffer.concat([fixed, data]);
}

function buildResponse(packet: Buffer, question: Question, zone: Zone): Buffer | undefined {
  const records = zone[question.name];
  if (records?.fault === 'drop') return undefined;
  const typeName = TYPES[question.type];
  const values = typeName === undefined ? [] : ((records?.[typeName] as string[]) ?? []);
  let rcode = 0;
  if (records === undefined)
    rcode = 3; // NXDOMAIN
  else if (records.fault === 'servfail') rcode = 2;
  const answers =
    rcode === 0
      ? values.map((v) => answerRecord(question.type, records?.ttl ?? 300, rdata(typeName!, v)))
      : [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(question.id, 0);
  // QR, the query's opcode and RD, AA and RA, and the response code.
  header.writeUInt16BE(0x8000 | (question.flags & 0x7900) | 0x0400 | 0x0080 | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  const response = Buffer.concat([header, packet.subarray(12, question.end), ...answers]);
  if (response.length > 512) throw new Error(`answer for ${question.name} exceeds 512 bytes`);
  return response;
}

/**
 * A DNS server on 127.0.0.1 (UDP, a free port) that answers A, AAAA and TXT from a zone held
 * in memory, NXDOMAIN for unknown names and NODATA for other types. It records every
 * question, so tests can assert what was asked and that nothing was asked.
 */
export class TestDnsServer {
  /** Questions received, as `TYPE name`, such as `TXT _dmarc.example.org`. */
  readonly questions: string[] = [];

  private constructor(
    private readonly socket: Socket,
    public zone: Zone,
  ) {}

  static async start(zone: Zone = {}): Promise<TestDnsServer> {
    const socket = createSocket('udp4');
    const server = new TestDnsServer(socket, zone);
    socket.on('message', (packet, remote) => server.answer(packet, remote));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return server;
  }

  /** `127.0.0.1:port`, for a resolver's server list. */
  get address(): string {
    const { address, port } = this.socket.address();
    if (!isIPv4(address) || address !== '127.0.0.1') throw new Error('not on loopback');
    return `${address}:${port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private answer(packet: Buffer, remote: RemoteInfo): void {
    const question = readQuestion(packet);
    if (question === undefined) return;
    this.questions.push(`${TYPE_NAMES[question.type] ?? question.type} ${question.name}`);
    const response = buildResponse(packet, question, this.zone);
    if (response !== undefined) this.socket.send(response, remote.port, remote.address);
  }
}
