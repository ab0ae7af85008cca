import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPreview, cleanText, detectType, htmlToText, maxPreviewChars } from './preview.js';

function message(headers: string[], body: string): Buffer {
  return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body}`);
}

test('buildPreview shows a text/plain body', async () => {
  const view = await buildPreview(
    message(
      ['From: alice@example.org', 'Subject: Hello', 'Content-Type: text/plain'],
      'Hi Bob.\r\n',
    ),
  );
  assert.equal(view.previewSource, 'text/plain');
  assert.equal(view.preview, 'Hi Bob.');
  assert.equal(view.previewTruncated, false);
  assert.deepEqual(view.headers, [
    { name: 'From', value: 'alice@example.org' },
    { name: 'Subject', value: 'Hello' },
    { name: 'Content-Type', value: 'text/plain' },
  ]);
  assert.deepEqual(view.problems, []);
});

test('buildPreview reduces HTML with script', async () => {
  const html =
    '<html><head><title>T</title><style>p{color:red}</style></head><body>' +
    '<script>alert("x")</script><p onclick="steal()">Pay <b>now</b> &amp; save</p>' +
    '<img src="https://tracker.example/p.gif"><iframe src="https://evil.example"></iframe>' +
    '<SCRIPT type="text/javascript">document.cookie</SCRIPT>Bye</body></html>';
  const view = await buildPreview(message(['Subject: Offer', 'Content-Type: text/html'], html));
  assert.equal(view.previewSource, 'text/html');
  assert.equal(view.preview, 'Pay now & save\nBye');
  for (const active of ['alert', 'steal', 'tracker', 'evil', 'cookie', 'color', '<'])
    assert.equal(view.preview.includes(active), false, active);
});

test('buildPreview neutralizes spelled markup', async () => {
  const html = '<p>&lt;script&gt;alert(2)&lt;/script&gt; and &lt;img src=x&gt; but 1 &lt; 2</p>';
  const fromHtml = await buildPreview(message(['Content-Type: text/html'], html));
  assert.equal(
    fromHtml.preview,
    '\u2039script>alert(2)\u2039/script> and \u2039img src=x> but 1 < 2',
  );
  const fromText = await buildPreview(message(['Subject: x'], 'see <a href="x">here</a>'));
  assert.equal(fromText.preview, 'see \u2039a href="x">here\u2039/a>');
});

test('buildPreview prefers text/plain over HTML', async () => {
  const raw = message(
    ['Subject: Both', 'MIME-Version: 1.0', 'Content-Type: multipart/alternative; boundary="b"'],
    '--b\r\nContent-Type: text/plain\r\n\r\nplain text\r\n' +
      '--b\r\nContent-Type: text/html\r\n\r\n<p>html text</p>\r\n--b--\r\n',
  );
  const view = await buildPreview(raw);
  assert.equal(view.previewSource, 'text/plain');
  assert.equal(view.preview, 'plain text');
});

test('buildPreview decodes encoded words', async () => {
  const view = await buildPreview(
    message(
      [
        'From: =?UTF-8?B?SsO8cmdlbg==?= <j@example.org>',
        'Subject: =?ISO-8859-1?Q?Gr=FC=DFe?= aus =?UTF-8?Q?K=C3=B6ln?=',
      ],
      'x',
    ),
  );
  assert.deepEqual(view.headers, [
    { name: 'From', value: 'Jürgen <j@example.org>' },
    { name: 'Subject', value: 'Grüße aus Köln' },
  ]);
});

test('buildPreview strips control characters', async () => {
  const view = await buildPreview(
    message(
      ['Subject: =?UTF-8?Q?a=1B[31mred=07?= \u202egnp.exe'],
      'line\u001b[2J one\u0000\r\nline two\u200b\r\n',
    ),
  );
  assert.equal(view.headers[0]!.value, 'a [31mred gnp.exe');
  assert.equal(view.preview, 'line[2J one\nline two');
});

test('buildPreview caps a huge body', async () => {
  const body = 'All work and no play. '.repeat(200_000);
  const started = Date.now();
  const view = await buildPreview(message(['Subject: Big'], body));
  assert.equal(view.preview.length, maxPreviewChars);
  assert.equal(view.previewTruncated, true);
  assert.ok(Date.now() - started < 10_000, 'preview of 4 MB took over 10 seconds');
});

test('buildPreview caps a huge HTML body', async () => {
  const html = `<div>${'<script>'.repeat(100_000)}${'<b>x</b>'.repeat(100_000)}`;
  const view = await buildPreview(message(['Content-Type: text/html'], html));
  assert.equal(view.preview, '');
  const text = htmlToText(`${'<p>word</p>'.repeat(100_000)}`);
  assert.ok(text.startsWith('word\n\nword'));
});

test('buildPreview lists attachments', async () => {
  const pdf = Buffer.from('%PDF-1.4 fake');
  const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(62)]);
  const raw = message(
    ['Subject: Files', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"'],
    '--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n' +
      '--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="report.pdf"\r\n' +
      `Content-Transfer-Encoding: base64\r\n\r\n${pdf.toString('base64')}\r\n` +
      '--b\r\nContent-Type: application/pdf\r\n' +
      'Content-Disposition: attachment; filename="=?UTF-8?Q?invoice=E2=80=AEfdp.exe?="\r\n' +
      `Content-Transfer-Encoding: base64\r\n\r\n${exe.toString('base64')}\r\n--b--\r\n`,
  );
  const view = await buildPreview(raw);
  assert.equal(view.preview, 'see attached');
  assert.deepEqual(view.attachments, [
    {
      fileName: 'report.pdf',
      declaredType: 'application/pdf',
      detectedType: 'pdf',
      sizeBytes: pdf.length,
    },
    {
      fileName: 'invoicefdp.exe',
      declaredType: 'application/pdf',
      detectedType: 'exe',
      sizeBytes: 64,
    },
  ]);
});

test('buildPreview survives malformed MIME', async () => {
  const raw = message(
    ['Subject: Broken', 'Content-Type: multipart/mixed; boundary="never"'],
    '--wrong\r\nContent-Type: text/plain\r\n\r\nstray text\r\n',
  );
  const view = await buildPreview(raw);
  assert.equal(view.headers[0]!.value, 'Broken');
  assert.equal(view.preview.includes('<'), false);

  const noHeaders = await buildPreview(Buffer.from('just some bytes \u0001 without headers'));
  assert.deepEqual(noHeaders.headers, []);
  assert.equal(noHeaders.preview.includes('\u0001'), false);
});

test('buildPreview reports a MIME parse failure', async () => {
  // More parts than the parser's limit of 2000.
  const body = `${'--b\r\nContent-Type: text/plain\r\n\r\nx\r\n'.repeat(2100)}--b--\r\n`;
  const view = await buildPreview(
    message(['Subject: Nested', 'Content-Type: multipart/mixed; boundary="b"'], body),
  );
  assert.equal(view.headers[0]!.value, 'Nested');
  assert.equal(view.preview, '');
  assert.equal(view.problems.length, 1);
  assert.match(view.problems[0]!, /^the MIME structure cannot be parsed: /);
});

test('htmlToText keeps text around odd markup', () => {
  assert.equal(htmlToText('a < b and <!-- hidden --> c'), 'a < b and c');
  assert.equal(htmlToText('<!DOCTYPE html>x&#65;&#x42;&nbsp;y &bogus; z'), 'xAB y &bogus; z');
  assert.equal(htmlToText('<td>1</td><td>2</td>'), '1 2');
  assert.equal(htmlToText('<p>unclosed <script>alert(1)'), 'unclosed');
  assert.equal(htmlToText('&#0;&#xD800;ok'), 'ok');
});

test('cleanText collapses blank space', () => {
  assert.equal(cleanText('  a \t b\r\n\r\n\r\n\r\nc  '), 'a b\n\nc');
});

test('detectType reads magic numbers', () => {
  assert.equal(detectType(Buffer.from('PK\u0003\u0004rest', 'latin1')), 'zip');
  assert.equal(detectType(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d])), 'png');
  assert.equal(detectType(Buffer.from('plain text')), '');
  assert.equal(detectType(Buffer.alloc(0)), '');
});
