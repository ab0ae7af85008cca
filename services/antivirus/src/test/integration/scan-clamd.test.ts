import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultScanLimits } from '@mailshield/common';
import type { Scanner } from '../../engine/scanner.js';
import { scanMessage, type ScanSettings } from '../../scan/scan-message.js';
import { singleClamdPool } from '../fakes.js';
import {
  clamdAddress,
  closedPort,
  crlf,
  deflatedZip,
  EICAR,
  mailWithAttachment,
  startSilentServer,
  base64Lines,
} from '../helpers.js';

const { address, skip } = clamdAddress();
const scanner = address === undefined ? undefined : singleClamdPool(address);
after(() => scanner?.close());
const settings: ScanSettings = {
  timeoutSeconds: 10,
  limits: defaultScanLimits(),
  rules: [],
  isOutbound: false,
};

function scanWith(raw: Buffer, engine: Scanner, overrides: Partial<ScanSettings> = {}) {
  return scanMessage(raw, { scanner: engine, store: undefined }, { ...settings, ...overrides });
}
const eicar = Buffer.from(EICAR, 'latin1');
const TESTFILES = '/usr/share/clamav-testfiles';

function scan(raw: Buffer) {
  return scanWith(raw, scanner!);
}

function isEicarName(name: string): boolean {
  return name.startsWith('Eicar-Test-Signature');
}

test('scan finds EICAR in an attachment', { skip }, async () => {
  const result = await scan(mailWithAttachment('eicar.com', eicar));
  assert.equal(result.status, 'infected');
  const finding = result.findings.find((f) => f.object === '2 (eicar.com)');
  assert.ok(finding, JSON.stringify(result.findings));
  assert.ok(isEicarName(finding.name));
});

test('scan finds EICAR as the inline body', { skip }, async () => {
  const raw = crlf(['From: a@example.org', 'Subject: inline', '', EICAR, '']);
  const result = await scan(raw);
  assert.equal(result.status, 'infected');
  assert.ok(result.findings.some((f) => f.object === '1' && isEicarName(f.name)));
});

test('scan finds EICAR in a deflated zip', { skip }, async () => {
  const zip = deflatedZip([{ name: 'eicar.com', content: eicar }]);
  assert.equal(zip.includes(eicar), false);
  const result = await scan(mailWithAttachment('files.zip', zip, 'application/zip'));
  assert.equal(result.status, 'infected');
  assert.ok(result.findings.some((f) => f.object === '2 (files.zip)'));
});

test('scan finds EICAR in a zip inside a misnamed zip', { skip }, async () => {
  const inner = deflatedZip([{ name: 'eicar.com', content: eicar }]);
  const outer = deflatedZip([{ name: 'docs.zip', content: inner }]);
  const result = await scan(mailWithAttachment('scan0001.dat', outer));
  assert.equal(result.status, 'infected');
  assert.ok(result.findings.some((f) => f.object === '2 (scan0001.dat)'));
});

test('scan detects every ClamAV test file attached', { skip }, async () => {
  const files = readdirSync(TESTFILES).sort();
  assert.equal(files.length, 44);
  const missed: string[] = [];
  for (const file of files) {
    const result = await scan(mailWithAttachment(file, readFileSync(join(TESTFILES, file))));
    const isDetected = result.findings.some((f) => f.name.startsWith('Clamav-Test-File'));
    if (!isDetected || result.status !== 'infected')
      missed.push(`${file}: ${result.status} ${JSON.stringify(result.findings)}`);
  }
  assert.deepEqual(missed, []);
});

test('scan reports a clean mail clean', { skip }, async () => {
  const raw = mailWithAttachment('report.txt', Buffer.from(`quarterly numbers ${Date.now()}\n`));
  const result = await scan(raw);
  assert.equal(result.status, 'clean');
  assert.deepEqual(result.findings, []);
  assert.equal(result.objects.length, 3);
});

test('scan reports clamd down as unscanned', async () => {
  const down = singleClamdPool(await closedPort());
  after(() => down.close());
  const result = await scanWith(mailWithAttachment('a.txt', Buffer.from('hello')), down);
  assert.equal(result.status, 'unscanned');
  assert.match(result.reason, /^AV_CLAMD_(UNAVAILABLE|CIRCUIT_OPEN)$/);
  assert.ok(result.objects.every((o) => o.verdict.status === 'unscanned'));
});

test('scan reports a silent clamd as timed out', async () => {
  const silent = await startSilentServer();
  after(() => silent.close());
  const hung = singleClamdPool(silent.address);
  after(() => hung.close());
  const started = Date.now();
  const result = await scanWith(mailWithAttachment('a.txt', Buffer.from('hello')), hung, {
    timeoutSeconds: 1,
  });
  assert.equal(result.status, 'unscanned');
  assert.equal(result.reason, 'AV_CLAMD_TIMEOUT');
  assert.ok(Date.now() - started < 5000);
  assert.equal(await hung.ping(0.5), false);
});

test('scan flags an encrypted zip as protected', { skip }, async () => {
  const zip = deflatedZip([{ name: 'a.txt', content: Buffer.from('secret') }]);
  // Sets the "encrypted" flag on the local and central headers; ClamAV alerts on the flag.
  zip.writeUInt16LE(1, 6);
  zip.writeUInt16LE(1, zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 8);
  const result = await scan(mailWithAttachment('locked.zip', zip, 'application/zip'));
  assert.equal(result.status, 'protected', JSON.stringify(result.findings));
  assert.ok(result.findings.every((f) => f.name.startsWith('Heuristics.Encrypted')));
});

test('scan reports MIME past the depth limit as unscanned', { skip }, async () => {
  const lines: string[] = [];
  for (let i = 0; i < 4; i++)
    lines.push(`Content-Type: multipart/mixed; boundary=d${i}`, '', `--d${i}`);
  lines.push('Content-Type: text/plain', '', 'deep text');
  for (let i = 3; i >= 0; i--) lines.push(`--d${i}--`);
  const result = await scanWith(crlf(lines), scanner!, {
    limits: { ...defaultScanLimits(), maxMimeDepth: 2 },
  });
  assert.equal(result.status, 'unscanned');
  assert.equal(result.reason, 'AV_MIME_TOO_DEEP');
});

test('scan reads duplicate Content-Type both ways', { skip }, async () => {
  const raw = crlf([
    'Subject: dup',
    'Content-Type: text/plain',
    'Content-Type: multipart/mixed; boundary="dup-b"',
    '',
    '--dup-b',
    'Content-Type: application/octet-stream; name="x.com"',
    'Content-Transfer-Encoding: base64',
    '',
    eicar.toString('base64'),
    '--dup-b--',
  ]);
  const result = await scan(raw);
  assert.equal(result.status, 'infected');
  assert.ok(result.findings.some((f) => f.object.includes('second Content-Type reading')));
});

test('scan decodes QP with soft breaks in an attachment', { skip }, async () => {
  const qp =
    'X5O!P%@AP[4\\PZX54(P^)7CC)7}=\r\n=24EICAR-STANDARD-=\r\nANTIVIRUS-TEST-FILE=21=\r\n$H+H*';
  const raw = crlf([
    'Content-Type: multipart/mixed; boundary=qp',
    '',
    '--qp',
    'Content-Type: text/plain; name=eicar.txt',
    'Content-Disposition: attachment; filename=eicar.txt',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    qp,
    '--qp--',
  ]);
  const result = await scan(raw);
  assert.ok(
    result.findings.some((f) => f.object === '1 (eicar.txt)' && isEicarName(f.name)),
    JSON.stringify(result.findings),
  );
});

test('scan finds a uuencoded file in the body', { skip }, async () => {
  const raw = crlf([
    'Subject: uu',
    '',
    'file follows',
    'begin 644 eicar.com',
    ...uuencodeLines(eicar),
    '`',
    'end',
    '',
  ]);
  const result = await scan(raw);
  assert.equal(result.status, 'infected');
  assert.ok(
    result.findings.some((f) => f.object === '1 uuencoded (eicar.com)'),
    JSON.stringify(result.findings),
  );
});

test('scan recurses into a base64 message/rfc822', { skip }, async () => {
  const inner = mailWithAttachment('eicar.com', eicar);
  const raw = crlf([
    'Content-Type: multipart/mixed; boundary=fwd',
    '',
    '--fwd',
    'Content-Type: message/rfc822',
    'Content-Disposition: attachment',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(inner),
    '--fwd--',
  ]);
  const result = await scan(raw);
  assert.ok(
    result.findings.some((f) => f.object === '1.2 (eicar.com)'),
    JSON.stringify(result.findings),
  );
});

test(
  'scan finds EICAR after a missing final boundary with an RFC 2231 boundary',
  { skip },
  async () => {
    const raw = crlf([
      'Content-Type: multipart/mixed; boundary*0*=us-ascii\'\'cont%2Dinued; boundary*1="-b"',
      '',
      '--cont-inued-b',
      'Content-Type: application/octet-stream',
      'Content-Transfer-Encoding: base64',
      '',
      eicar.toString('base64'),
      '',
    ]);
    const result = await scan(raw);
    assert.ok(
      result.findings.some((f) => f.object === '1' && isEicarName(f.name)),
      JSON.stringify(result.findings),
    );
  },
);

function uuencodeLines(data: Buffer): string[] {
  const lines: string[] = [];
  for (let offset = 0; offset < data.length; offset += 45) {
    const chunk = data.subarray(offset, offset + 45);
    let line = String.fromCharCode(32 + chunk.length);
    for (let i = 0; i < chunk.length; i += 3) {
      const [a = 0, b = 0, c = 0] = [chunk[i], chunk[i + 1], chunk[i + 2]];
      for (const value of [
        a >> 2,
        ((a << 4) | (b >> 4)) & 63,
        ((b << 2) | (c >> 6)) & 63,
        c & 63,
      ]) {
        line += value === 0 ? '`' : String.fromCharCode(32 + value);
      }
    }
    lines.push(line);
  }
  return lines;
}
