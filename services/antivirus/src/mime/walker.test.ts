import { test } from 'node:test';
import assert from 'node:assert/strict';
import { walkMessage } from './walker.js';

const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

function crlf(lines: string[]): Buffer {
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

function b64(text: string): string {
  return Buffer.from(text, 'latin1').toString('base64');
}

test('walker numbers nested multipart leaves', () => {
  const raw = crlf([
    'Subject: nested',
    'Content-Type: multipart/mixed; boundary="outer"',
    '',
    '--outer',
    'Content-Type: multipart/alternative; boundary=inner',
    '',
    '--inner',
    'Content-Type: text/plain',
    '',
    'plain',
    '--inner',
    'Content-Type: text/html',
    '',
    '<p>html</p>',
    '--inner--',
    '--outer',
    'Content-Type: application/octet-stream; name="a.bin"',
    'Content-Transfer-Encoding: base64',
    '',
    b64('binary'),
    '--outer--',
    '',
  ]);
  const tree = walkMessage(raw);
  assert.deepEqual(
    tree.leaves.map((leaf) => [leaf.path, leaf.contentType, leaf.fileName]),
    [
      ['1.1', 'text/plain', undefined],
      ['1.2', 'text/html', undefined],
      ['2', 'application/octet-stream', 'a.bin'],
    ],
  );
  assert.equal(tree.leaves[0]!.content.toString(), 'plain');
  assert.equal(tree.leaves[2]!.content.toString(), 'binary');
  assert.equal(tree.isTooDeep, false);
});

test('walker ranges cover headers and body exactly', () => {
  const raw = crlf([
    'Content-Type: multipart/mixed; boundary=b',
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    'first',
    '--b',
    '',
    'second, no headers',
    '--b--',
    '',
  ]);
  const tree = walkMessage(raw);
  const [first, second] = tree.leaves;
  assert.equal(
    raw.toString('latin1', first!.range!.start, first!.range!.end),
    'Content-Type: text/plain\r\n\r\nfirst',
  );
  assert.equal(
    raw.toString('latin1', second!.range!.start, second!.range!.end),
    '\r\nsecond, no headers',
  );
  assert.equal(second!.content.toString(), 'second, no headers');
  assert.equal(second!.contentType, 'text/plain');
});

test('walker ignores an inner boundary that contains the outer one', () => {
  const raw = crlf([
    'Content-Type: multipart/mixed; boundary="section"',
    '',
    '--section',
    'Content-Type: multipart/alternative; boundary="--section"',
    '',
    '----section',
    'Content-Type: text/plain',
    '',
    'alt text',
    '----section--',
    '--section',
    'Content-Type: application/octet-stream; name=x.com',
    'Content-Transfer-Encoding: base64',
    '',
    b64(EICAR),
    '--section--',
  ]);
  const tree = walkMessage(raw);
  assert.deepEqual(
    tree.leaves.map((leaf) => leaf.path),
    ['1.1', '2'],
  );
  assert.equal(tree.leaves[1]!.content.toString('latin1'), EICAR);
  assert.equal(tree.leaves[1]!.fileName, 'x.com');
});

test('walker keeps the last part without a final boundary', () => {
  const raw = crlf([
    'Content-Type: multipart/mixed; boundary=b18',
    '',
    '--b18',
    'Content-Type: text/plain',
    '',
    'hello',
    '--b18',
    'Content-Type: application/octet-stream',
    'Content-Transfer-Encoding: base64',
    '',
    b64(EICAR),
    '',
  ]);
  const tree = walkMessage(raw);
  assert.equal(tree.leaves.length, 2);
  assert.equal(tree.leaves[1]!.content.toString('latin1'), EICAR);
  assert.equal(tree.leaves[1]!.range!.end, raw.length);
});

test('walker joins an RFC 2231 continued boundary', () => {
  const raw = crlf([
    'Content-Type: multipart/mixed; boundary*0*=us-ascii\'\'my%2Dsplit; boundary*1="-bound"',
    '',
    '--my-split-bound',
    'Content-Type: application/octet-stream',
    'Content-Transfer-Encoding: base64',
    '',
    b64(EICAR),
    '--my-split-bound--',
  ]);
  const tree = walkMessage(raw);
  assert.equal(tree.root.kind, 'multipart');
  assert.equal(tree.leaves.length, 1);
  assert.equal(tree.leaves[0]!.content.toString('latin1'), EICAR);
});

test('walker decodes a file name split into RFC 2047 words', () => {
  const first = Buffer.from('payment_').toString('base64');
  const second = Buffer.from('details.exe').toString('base64');
  const raw = crlf([
    'Content-Type: multipart/mixed; boundary=b',
    '',
    '--b',
    'Content-Type: application/octet-stream',
    `Content-Disposition: attachment; filename="=?utf-8?B?${first}?= =?utf-8?B?${second}?="`,
    '',
    'x',
    '--b--',
  ]);
  assert.equal(walkMessage(raw).leaves[0]!.fileName, 'payment_details.exe');
});

test('walker decodes RFC 2231 file names with a charset', () => {
  const raw = crlf([
    'Content-Type: multipart/mixed; boundary=b',
    '',
    '--b',
    "Content-Type: application/pdf; name*0*=utf-8''r%C3%A9sum; name*1*=%C3%A9.pdf",
    '',
    'x',
    '--b',
    'Content-Type: application/pdf; name="=?iso-8859-1?Q?caf=E9?=.pdf"',
    '',
    'y',
    '--b--',
  ]);
  const names = walkMessage(raw).leaves.map((leaf) => leaf.fileName);
  assert.deepEqual(names, ['résumé.pdf', 'café.pdf']);
});

test('walker recurses into a base64 message/rfc822 without a name', () => {
  const inner = crlf([
    'Subject: inner',
    'Content-Type: multipart/mixed; boundary=in',
    '',
    '--in',
    'Content-Type: application/octet-stream; name=eicar.com',
    'Content-Transfer-Encoding: base64',
    '',
    b64(EICAR),
    '--in--',
  ]);
  const raw = crlf([
    'Content-Type: multipart/mixed; boundary=out',
    '',
    '--out',
    'Content-Type: text/plain',
    '',
    'see attached',
    '--out',
    'Content-Type: message/rfc822',
    'Content-Disposition: attachment',
    'Content-Transfer-Encoding: base64',
    '',
    inner.toString('base64').replace(/.{76}/g, '$&\r\n'),
    '--out--',
  ]);
  const tree = walkMessage(raw);
  const leaf = tree.leaves.find((l) => l.fileName === 'eicar.com');
  assert.ok(leaf);
  assert.equal(leaf.path, '2.1');
  assert.equal(leaf.content.toString('latin1'), EICAR);
  assert.equal(leaf.range, undefined);
  const part2 = tree.root.children[1]!;
  assert.deepEqual(leaf.replaceableRange, part2.range);
});

test('walker finds a uuencoded file in a text body', () => {
  const uu = uuencode(Buffer.from(EICAR, 'latin1'));
  const raw = crlf([
    'Subject: uu',
    '',
    'Here is the file:',
    '',
    'begin 644 eicar.com',
    ...uu,
    '`',
    'end',
    '',
    'bye',
  ]);
  const tree = walkMessage(raw);
  assert.equal(tree.uuencoded.length, 1);
  assert.equal(tree.uuencoded[0]!.fileName, 'eicar.com');
  assert.equal(tree.uuencoded[0]!.content.toString('latin1'), EICAR);
  assert.equal(tree.uuencoded[0]!.partPath, '1');
});

test('walker decodes quoted-printable soft line breaks', () => {
  const qp = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}=\r\n=24EICAR-STANDARD-ANTIVIRUS=\r\n-TEST-FILE=21$H+H*';
  const raw = crlf([
    'Content-Type: multipart/mixed; boundary=q',
    '',
    '--q',
    'Content-Type: text/plain; name=eicar.txt',
    'Content-Transfer-Encoding: Quoted-Printable',
    '',
    qp,
    '--q--',
  ]);
  const leaf = walkMessage(raw).leaves[0]!;
  assert.equal(leaf.transferEncoding, 'quoted-printable');
  assert.equal(leaf.content.toString('latin1'), EICAR);
});

test('walker scans a part with no name and no disposition', () => {
  const raw = crlf([
    'Content-Type: multipart/mixed; boundary=n',
    '',
    '--n',
    'Content-Type: application/octet-stream',
    'Content-Transfer-Encoding: base64',
    '',
    b64(EICAR),
    '--n--',
  ]);
  const leaf = walkMessage(raw).leaves[0]!;
  assert.equal(leaf.fileName, undefined);
  assert.equal(leaf.content.toString('latin1'), EICAR);
});

test('walker reads both duplicate Content-Type headers', () => {
  const raw = crlf([
    'Content-Type: text/plain',
    'Content-Type: multipart/mixed; boundary="dup"',
    '',
    '--dup',
    'Content-Type: application/octet-stream; name=e.com',
    'Content-Transfer-Encoding: base64',
    '',
    b64(EICAR),
    '--dup--',
  ]);
  const tree = walkMessage(raw);
  assert.equal(tree.root.kind, 'leaf');
  assert.equal(tree.root.alternatives.length, 1);
  const hidden = tree.leaves.find((leaf) => leaf.fileName === 'e.com');
  assert.ok(hidden);
  assert.equal(hidden.isAlternativeReading, true);
  assert.equal(hidden.content.toString('latin1'), EICAR);
});

test('walker keeps an unindented parameter line', () => {
  const raw = crlf([
    'Content-Type: multipart/mixed; boundary=u',
    '',
    '--u',
    'Content-Type: application/octet-stream; x-unix-mode=0600;',
    'name="invoice.exe"',
    'Content-Transfer-Encoding: base64',
    '',
    b64(EICAR),
    '--u--',
  ]);
  const leaf = walkMessage(raw).leaves[0]!;
  assert.equal(leaf.fileName, 'invoice.exe');
  assert.equal(leaf.content.toString('latin1'), EICAR);
});

test('walker tolerates junk in base64', () => {
  const encoded = b64(EICAR);
  const junk = `${encoded.slice(0, 10)}!!\t ${encoded.slice(10, 40)}*\r\n${encoded.slice(40)}`;
  const raw = crlf(['Content-Transfer-Encoding: base64', '', junk]);
  assert.equal(walkMessage(raw).leaves[0]!.content.toString('latin1'), EICAR);
});

test('walker marks nesting past the depth limit', () => {
  const lines: string[] = [];
  const depth = 5;
  for (let i = 0; i < depth; i++)
    lines.push(`Content-Type: multipart/mixed; boundary=d${i}`, '', `--d${i}`);
  lines.push('Content-Type: text/plain', '', 'deep');
  for (let i = depth - 1; i >= 0; i--) lines.push(`--d${i}--`);
  const raw = crlf(lines);
  assert.equal(walkMessage(raw).isTooDeep, false);
  const shallow = walkMessage(raw, { maxDepth: 3 });
  assert.equal(shallow.isTooDeep, true);
  assert.ok(shallow.leaves.some((leaf) => leaf.content.includes('deep')));
});

test('walker scans a non-blank preamble', () => {
  const raw = crlf([
    'Content-Type: multipart/mixed; boundary=p',
    '',
    EICAR,
    '--p',
    '',
    'body',
    '--p--',
  ]);
  const paths = walkMessage(raw).leaves.map((leaf) => leaf.path);
  assert.deepEqual(paths, ['1', 'preamble']);
});

test('walker handles bare LF line ends', () => {
  const raw = Buffer.from(
    'Content-Type: multipart/mixed; boundary=l\n\n--l\nContent-Type: text/plain\n\nlf body\n--l--\n',
  );
  const leaf = walkMessage(raw).leaves[0]!;
  assert.equal(leaf.content.toString(), 'lf body');
});

/** Minimal uuencoder for test input: 45 bytes per line. */
function uuencode(data: Buffer): string[] {
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
