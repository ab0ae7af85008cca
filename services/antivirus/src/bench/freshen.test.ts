import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPolicy } from '@mailshield/common';
import { walkMessage } from '../mime/walker.js';
import { buildAttachment } from './attachments.js';
import { clamdObjects, RepeatCounter } from './clamd-objects.js';
import { attach } from './compose.js';
import { freshenMessage, MARKER_HEADER } from './freshen.js';
import { SeededRandom } from './seeded-random.js';

const HTML = Buffer.from('<html><body><p>Quarterly report attached.</p></body></html>\r\n');

/** A multipart/alternative message with a quoted-printable text part and a base64 HTML part. */
const ALTERNATIVE = Buffer.from(
  [
    'From: alice@example.com',
    'To: bob@example.com',
    'Subject: report',
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative; boundary="b1"',
    '',
    'preamble text',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Quarterly report attached.=20',
    '--b1',
    'Content-Type: text/html',
    'Content-Transfer-Encoding: base64',
    '',
    HTML.toString('base64'),
    '--b1--',
    '',
  ].join('\r\n'),
);

const settings = (() => {
  const antivirus = defaultPolicy().antivirus!;
  return {
    timeoutSeconds: 20,
    limits: antivirus.limits!,
    rules: antivirus.attachmentRules,
    isOutbound: false,
  };
})();

test('freshened copies share no object', () => {
  const counter = new RepeatCounter();
  counter.add(clamdObjects(freshenMessage(ALTERNATIVE, 'copy-1'), settings));
  counter.add(clamdObjects(freshenMessage(ALTERNATIVE, 'copy-2'), settings));
  assert.equal(counter.repeated, 0);
});

test('freshened parts keep their content', () => {
  const fresh = freshenMessage(ALTERNATIVE, 'copy-1');
  const leaves = walkMessage(fresh).leaves.filter((leaf) => leaf.path !== 'preamble');
  assert.equal(leaves.length, 2);
  assert.match(leaves[0]!.content.toString(), /^copy-1 part \d+\r\nQuarterly report attached\. /);
  assert.ok(leaves[1]!.content.subarray(24).equals(HTML), 'base64 part after 24 marker bytes');
  assert.match(fresh.toString('latin1'), new RegExp(`^${MARKER_HEADER}: copy-1\r\n`));
});

test('attached message keeps its parts', () => {
  const attachment = buildAttachment('binary', 20_000, 'copy-1', new SeededRandom('a'), 7);
  const raw = attach(freshenMessage(ALTERNATIVE, 'copy-1'), attachment, 'copy-1');
  const tree = walkMessage(raw);
  const file = tree.leaves.find((leaf) => leaf.fileName === 'data-7.bin');
  assert.ok(file?.content.equals(attachment.content), 'attachment decodes to its bytes');
  const html = tree.leaves.find((leaf) => leaf.contentType === 'text/html');
  assert.ok(html?.content.subarray(24).equals(HTML), 'original parts are still there');
  assert.equal(tree.root.contentType, 'multipart/mixed');
});
