import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { defaultPolicy, defaultScanLimits } from '@mailshield/common';
import { QueueMode } from '@mailshield/proto/message';
import { Direction, VirusAction } from '@mailshield/proto/policy';
import { applyPolicy } from '../../action/apply-policy.js';
import { walkMessage } from '../../mime/walker.js';
import { scanMessage, type ScanSettings } from '../../scan/scan-message.js';
import { attachmentRule, singleClamdPool } from '../fakes.js';
import {
  buildTnef,
  buildZip,
  clamdAddress,
  crlf,
  base64Lines,
  deflatedZeros,
  deflatedZip,
  EICAR,
  mailWithAttachment,
  zerosCrc32,
} from '../helpers.js';

const { address, skip } = clamdAddress();
const pool = address === undefined ? undefined : singleClamdPool(address);
after(() => pool?.close());
const eicar = Buffer.from(EICAR, 'latin1');

function settingsWith(overrides: Partial<ScanSettings> = {}): ScanSettings {
  return {
    timeoutSeconds: 10,
    limits: defaultScanLimits(),
    rules: [],
    isOutbound: false,
    ...overrides,
  };
}

function scan(raw: Buffer, settings: ScanSettings) {
  return scanMessage(raw, { scanner: pool!, store: undefined }, settings);
}

/** Applies a policy whose inbound and outbound actions are the defaults changed by `actions`. */
async function decide(raw: Buffer, settings: ScanSettings, actions: object = {}) {
  const base = defaultPolicy().antivirus!;
  const antivirus = {
    ...base,
    inbound: { ...base.inbound!, ...actions },
    outbound: { ...base.outbound!, ...actions },
    attachmentRules: [...settings.rules],
  };
  const result = await scan(raw, settings);
  const plan = await applyPolicy(raw, result, {
    policy: antivirus,
    queueMode: QueueMode.QUEUE_MODE_AFTER_QUEUE,
    isOutbound: settings.isOutbound,
    rescan: (changed) => scan(changed, settings),
  });
  return { result, plan };
}

/** Builds a mail with a text part, then the named part, then a clean PDF-like part. */
function mailWithParts(name: string, content: Buffer): Buffer {
  return crlf([
    'From: sender@example.org',
    'To: recipient@example.com',
    'Subject: parts',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="p-b"',
    '',
    '--p-b',
    'Content-Type: text/plain',
    '',
    'Three parts.',
    '--p-b',
    `Content-Type: application/octet-stream; name="${name}"`,
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(content),
    '--p-b',
    'Content-Type: application/pdf; name="report.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(Buffer.from(`%PDF-1.4\n% report ${Date.now()}\n%%EOF\n`)),
    '--p-b--',
    '',
  ]);
}

test('zip bomb is unscanned, never clean', { skip }, async () => {
  const size = 300 * 1024 * 1024;
  const bomb = buildZip([
    {
      name: 'zeros.bin',
      method: 8,
      data: deflatedZeros(size),
      declaredSize: 1000,
      crc: zerosCrc32(size),
    },
  ]);
  const started = Date.now();
  const { result, plan } = await decide(mailWithAttachment('backup.zip', bomb), settingsWith());
  assert.equal(result.status, 'unscanned');
  assert.equal(result.reason, 'AV_ARCHIVE_LIMIT');
  assert.equal(plan.action, 'reject');
  assert.ok(Date.now() - started < 10_000);
});

test('over-large archive member is unscanned', { skip }, async () => {
  const zip = deflatedZip([{ name: 'big.bin', content: Buffer.alloc(3 * 1024 * 1024, 7) }]);
  const limits = { ...defaultScanLimits(), maxMemberBytes: 1024 * 1024 };
  const { result } = await decide(mailWithAttachment('big.zip', zip), settingsWith({ limits }));
  assert.equal(result.status, 'unscanned');
  assert.ok(
    result.findings.some((f) => f.name === 'AV_ARCHIVE_LIMIT' && /big\.bin/.test(f.detail)),
  );
});

test('encrypted archive takes the protected action', { skip }, async () => {
  const zip = buildZip([{ name: 'a.txt', content: Buffer.from('secret'), flags: 1 }]);
  const raw = mailWithParts('locked.zip', zip);
  const skipped = await decide(raw, settingsWith());
  assert.equal(skipped.result.status, 'protected');
  assert.equal(skipped.plan.action, 'skip');
  const removed = await decide(raw, settingsWith(), {
    onProtected: VirusAction.VIRUS_ACTION_DELETE_OBJECT,
  });
  assert.equal(removed.plan.action, 'delete_object');
});

test('nesting past the depth limit is unscanned', { skip }, async () => {
  const lines: string[] = [];
  for (let i = 0; i < 6; i++)
    lines.push(`Content-Type: multipart/mixed; boundary=n${i}`, '', `--n${i}`);
  lines.push('Content-Type: text/plain', '', 'deep');
  for (let i = 5; i >= 0; i--) lines.push(`--n${i}--`);
  const limits = { ...defaultScanLimits(), maxMimeDepth: 4 };
  const { result, plan } = await decide(crlf(lines), settingsWith({ limits }));
  assert.equal(result.status, 'unscanned');
  assert.equal(result.reason, 'AV_MIME_TOO_DEEP');
  assert.equal(plan.action, 'reject');
});

test('too many parts is unscanned before clamd', { skip }, async () => {
  const lines = ['Content-Type: multipart/mixed; boundary=m', ''];
  for (let i = 0; i < 30; i++) lines.push('--m', 'Content-Type: text/plain', '', `part ${i}`);
  lines.push('--m--');
  const limits = { ...defaultScanLimits(), maxParts: 10 };
  const { result } = await decide(crlf(lines), settingsWith({ limits }));
  assert.equal(result.reason, 'AV_TOO_MANY_PARTS');
  assert.deepEqual(result.objects, []);
});

test('rule blocks an executable by content', { skip }, async () => {
  const exe = Buffer.alloc(512);
  exe.write('MZ', 0, 'latin1');
  exe.writeUInt32LE(128, 0x3c);
  exe.write('PE\0\0', 128, 'latin1');
  exe.writeUInt16LE(0x0102, 128 + 22);
  const rules = [attachmentRule({ name: 'executables', fileTypes: ['executable'] })];
  const raw = mailWithParts('holiday-photo.jpg', exe);
  const { result, plan } = await decide(raw, settingsWith({ rules }));
  assert.equal(result.status, 'blocked');
  assert.equal(result.reason, 'executables');
  assert.equal(plan.action, 'delete_object');
  const tree = walkMessage(plan.raw.subarray(plan.raw.indexOf('From:')));
  const texts = tree.leaves.map((leaf) => leaf.content.toString('latin1'));
  assert.match(texts[1]!, /holiday-photo\.jpg\) was removed .*executables/);
  assert.match(texts[2]!, /^%PDF-1\.4/);
});

test('rule applies to one direction only', { skip }, async () => {
  const rules = [
    attachmentRule({ name: 'in-zips', fileTypes: ['zip'], direction: Direction.DIRECTION_INBOUND }),
  ];
  const zip = deflatedZip([{ name: 'notes.txt', content: Buffer.from('notes') }]);
  const raw = mailWithParts('notes.zip', zip);
  assert.equal((await decide(raw, settingsWith({ rules }))).result.status, 'blocked');
  const outbound = await decide(raw, settingsWith({ rules, isOutbound: true }));
  assert.equal(outbound.result.status, 'clean');
});

test('outbound actions differ from inbound', { skip }, async () => {
  const raw = mailWithParts('eicar.com', eicar);
  const base = defaultPolicy().antivirus!;
  const result = await scan(raw, settingsWith());
  const plan = await applyPolicy(raw, result, {
    policy: {
      ...base,
      outbound: { ...base.outbound!, onInfected: VirusAction.VIRUS_ACTION_DELETE_MESSAGE },
      attachmentRules: [],
    },
    queueMode: QueueMode.QUEUE_MODE_BEFORE_QUEUE,
    isOutbound: true,
    rescan: (changed) => scan(changed, settingsWith()),
  });
  assert.equal(plan.action, 'delete_message');
});

test('subject tag marks a skipped message', { skip }, async () => {
  const zip = buildZip([{ name: 'a.txt', content: Buffer.from('secret'), flags: 1 }]);
  const raw = mailWithParts('locked.zip', zip);
  const base = defaultPolicy().antivirus!;
  const result = await scan(raw, settingsWith());
  const plan = await applyPolicy(raw, result, {
    policy: { ...base, subjectTags: { protected: '[ENCRYPTED]' }, attachmentRules: [] },
    queueMode: QueueMode.QUEUE_MODE_AFTER_QUEUE,
    isOutbound: false,
    rescan: (changed) => scan(changed, settingsWith()),
  });
  assert.equal(plan.action, 'skip');
  assert.match(plan.raw.toString('latin1'), /\r\nSubject: \[ENCRYPTED\] ?parts\r\n/);
});

test('TNEF attachment is scanned and named', { skip }, async () => {
  const tnef = buildTnef([
    { title: 'notes.txt', content: Buffer.from('plain notes') },
    { title: 'EICAR~1.COM', longFileName: 'tool.com', content: eicar },
  ]);
  const rules = [
    attachmentRule({
      name: 'com-files',
      namePatterns: ['*.com'],
      action: VirusAction.VIRUS_ACTION_SKIP,
    }),
  ];
  const { result } = await decide(mailWithParts('winmail.dat', tnef), settingsWith({ rules }));
  assert.equal(result.status, 'infected');
  assert.ok(result.findings.some((f) => f.object.includes('extracted (tool.com)')));
  assert.ok(result.findings.some((f) => f.name === 'Blocked.com-files'));
});

test('LZMA zip member is unscanned', { skip }, async () => {
  // Method 14 (LZMA): neither the gateway nor clamd 1.4.6 unpacks it, so it cannot be clean.
  const zip = buildZip([{ name: 'photo.jpg', method: 14, data: Buffer.from('not really lzma') }]);
  const { result, plan } = await decide(mailWithParts('pics.zip', zip), settingsWith());
  assert.equal(result.status, 'unscanned');
  assert.equal(result.reason, 'AV_UNSUPPORTED_CONTENT');
  assert.equal(plan.action, 'reject');
  assert.match(plan.reply, /exceeds the scan limits \(AV_UNSUPPORTED_CONTENT\)/);
});

test('zstd attachment is unscanned', { skip }, async () => {
  const zstd = Buffer.concat([Buffer.from('28b52ffd2405', 'hex'), Buffer.from(EICAR)]);
  const { result } = await decide(mailWithParts('data.zst', zstd), settingsWith());
  assert.equal(result.status, 'unscanned');
  assert.equal(result.reason, 'AV_UNSUPPORTED_CONTENT');
});

test('rule checks both part names', { skip }, async () => {
  const rules = [attachmentRule({ name: 'hta', namePatterns: ['*.hta'] })];
  const raw = crlf([
    'Content-Type: multipart/mixed; boundary=n',
    '',
    '--n',
    'Content-Type: application/octet-stream; name="x.hta"',
    'Content-Disposition: attachment; filename="notes.txt"',
    '',
    'text',
    '--n',
    'Content-Type: application/octet-stream; name="evil.bat."',
    '',
    'more text',
    '--n--',
  ]);
  const bat = [attachmentRule({ name: 'bat', namePatterns: ['*.bat'] })];
  assert.equal((await decide(raw, settingsWith({ rules }))).result.status, 'blocked');
  assert.equal((await decide(raw, settingsWith({ rules: bat }))).result.status, 'blocked');
});

test('reject reply names the rejecting limit', { skip }, async () => {
  const size = 300 * 1024 * 1024;
  const bomb = buildZip([
    {
      name: 'z.bin',
      method: 8,
      data: deflatedZeros(size),
      declaredSize: 1000,
      crc: zerosCrc32(size),
    },
  ]);
  const rules = [attachmentRule({ name: 'zips', fileTypes: ['zip'] })];
  const { result, plan } = await decide(mailWithParts('a.zip', bomb), settingsWith({ rules }));
  assert.equal(result.status, 'blocked');
  assert.equal(plan.action, 'reject');
  assert.match(plan.reply, /exceeds the scan limits \(AV_ARCHIVE_LIMIT\)/);
});

test('message/partial fragment is unscanned', { skip }, async () => {
  const raw = crlf([
    'From: sender@example.org',
    'Subject: part 1 of 2',
    'MIME-Version: 1.0',
    'Content-Type: message/partial; id="frag@example.org"; number=1; total=2',
    '',
    'Content-Type: application/octet-stream',
    'Content-Transfer-Encoding: base64',
    '',
    'TVqQAAMAAAAEAAAA',
  ]);
  const { result, plan } = await decide(raw, settingsWith());
  assert.equal(result.status, 'unscanned');
  assert.equal(result.reason, 'AV_UNSUPPORTED_CONTENT');
  assert.equal(plan.action, 'reject');
});
