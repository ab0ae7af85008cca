import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTnef, EICAR, tnefAttribute } from '../test/helpers.js';
import { isTnef, parseTnef, tnefAttachmentName } from './tnef.js';

const eicar = Buffer.from(EICAR, 'latin1');

function u16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16LE(value, 0);
  return bytes;
}

function u32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value, 0);
  return bytes;
}

function pad4(data: Buffer): Buffer {
  return Buffer.concat([data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
}

test('parseTnef reads two attachments', () => {
  const tnef = buildTnef([
    { title: 'EICAR~1.COM', longFileName: 'eicar test file.com', content: eicar },
    { title: 'notes.txt', content: Buffer.from('meeting notes') },
  ]);
  const parsed = parseTnef(tnef);
  assert.equal(parsed.isCorrupted, false);
  assert.equal(parsed.key, 1);
  assert.equal(parsed.attachments.length, 2);
  const [first, second] = parsed.attachments;
  assert.equal(first!.title, 'EICAR~1.COM');
  assert.equal(first!.longFileName, 'eicar test file.com');
  assert.equal(tnefAttachmentName(first!), 'eicar test file.com');
  assert.deepEqual(first!.content, eicar);
  assert.equal(tnefAttachmentName(second!), 'notes.txt');
  assert.equal(second!.content.toString(), 'meeting notes');
});

test('parseTnef returns an attached message as TNEF', () => {
  const inner = buildTnef([{ title: 'inner.exe', content: Buffer.from('MZ inner') }]);
  const parsed = parseTnef(buildTnef([{ title: 'Forwarded', embeddedMessage: inner }]));
  assert.equal(parsed.isCorrupted, false);
  const attachment = parsed.attachments[0]!;
  assert.equal(attachment.isEmbeddedMessage, true);
  assert.equal(isTnef(attachment.content), true);
  assert.equal(parseTnef(attachment.content).attachments[0]!.title, 'inner.exe');
});

test('parseTnef keeps what it read from a cut stream', () => {
  const tnef = buildTnef([
    { title: 'first.txt', content: Buffer.from('complete first attachment') },
    { title: 'second.bin', content: Buffer.alloc(1000, 0x41) },
  ]);
  const parsed = parseTnef(tnef.subarray(0, tnef.length - 500));
  assert.equal(parsed.isCorrupted, true);
  assert.equal(parsed.attachments.length, 2);
  assert.equal(parsed.attachments[0]!.content.toString(), 'complete first attachment');
  assert.equal(parsed.attachments[1]!.title, 'second.bin');
  assert.ok(parsed.attachments[1]!.content.length > 0);
  assert.ok(parsed.attachments[1]!.content.length < 1000);
});

test('parseTnef flags a wrong checksum and keeps the data', () => {
  const tnef = buildTnef([{ title: 'eicar.com', content: eicar }]);
  tnef.writeUInt16LE(0, tnef.length - 2);
  const parsed = parseTnef(tnef);
  assert.equal(parsed.isCorrupted, true);
  assert.deepEqual(parsed.attachments[0]!.content, eicar);
});

test('parseTnef rejects other data', () => {
  const parsed = parseTnef(Buffer.from('this is not a TNEF stream'));
  assert.equal(parsed.isCorrupted, true);
  assert.deepEqual(parsed.attachments, []);
});

test('parseTnef stops at an unknown level', () => {
  const tnef = Buffer.concat([
    buildTnef([{ title: 'a.txt', content: Buffer.from('a') }]),
    Buffer.from([0x07, 1, 2, 3, 4, 0, 0, 0, 0]),
  ]);
  const parsed = parseTnef(tnef);
  assert.equal(parsed.isCorrupted, true);
  assert.equal(parsed.attachments.length, 1);
});

test('parseTnef stops at a length past the end', () => {
  const head = buildTnef([]);
  const attribute = Buffer.concat([Buffer.from([2]), u32(0x0006800f), u32(0xffffffff)]);
  const parsed = parseTnef(Buffer.concat([head, attribute, Buffer.from('abc')]));
  assert.equal(parsed.isCorrupted, true);
  assert.equal(parsed.attachments[0]!.content.toString(), 'abc');
});

test('parseTnef reads MAPI names after named and multi-valued properties', () => {
  const guid = Buffer.alloc(16, 0x11);
  const propertyName = Buffer.from('Custom\0', 'utf16le');
  const longName = Buffer.from('quarterly report.pdf\0', 'latin1');
  const properties = Buffer.concat([
    u32(3),
    // A named PT_LONG property identified by a string name.
    u16(0x0003),
    u16(0x8001),
    guid,
    u32(1),
    u32(propertyName.length),
    pad4(propertyName),
    u32(42),
    // A multi-valued PT_LONG with two values.
    u16(0x1003),
    u16(0x6000),
    u32(2),
    u32(1),
    u32(2),
    // PR_ATTACH_LONG_FILENAME as PT_STRING8.
    u16(0x001e),
    u16(0x3707),
    u32(1),
    u32(longName.length),
    pad4(longName),
  ]);
  const tnef = Buffer.concat([
    buildTnef([{ title: 'QUARTE~1.PDF', content: Buffer.from('%PDF-1.4') }]),
    tnefAttribute(2, 0x00069005, properties),
  ]);
  const parsed = parseTnef(tnef);
  assert.equal(parsed.isCorrupted, false);
  assert.equal(tnefAttachmentName(parsed.attachments[0]!), 'quarterly report.pdf');
});

test('parseTnef flags unreadable MAPI properties', () => {
  const properties = Buffer.concat([u32(1), u16(0x0999), u16(0x3707), u32(0)]);
  const tnef = Buffer.concat([
    buildTnef([{ title: 'a.txt', content: Buffer.from('a') }]),
    tnefAttribute(2, 0x00069005, properties),
  ]);
  const parsed = parseTnef(tnef);
  assert.equal(parsed.isCorrupted, true);
  assert.equal(parsed.attachments[0]!.title, 'a.txt');
});

test('parseTnef survives damaged streams', () => {
  const inner = buildTnef([{ title: 'inner.exe', content: Buffer.from('MZ') }]);
  const tnef = buildTnef([
    { title: 'a.txt', longFileName: 'a long name.txt', content: Buffer.from('alpha') },
    { title: 'Forwarded', embeddedMessage: inner },
  ]);
  // A fixed pseudo-random sequence, so a failure can be reproduced.
  let seed = 4242;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  for (let round = 0; round < 3000; round++) {
    const damaged = Buffer.from(tnef.subarray(0, tnef.length - (next() % 40)));
    for (let hit = 0; hit < 3; hit++) damaged[6 + (next() % (damaged.length - 6))] = next() % 256;
    const parsed = parseTnef(damaged);
    assert.ok(parsed.attachments.length <= damaged.length);
  }
});
