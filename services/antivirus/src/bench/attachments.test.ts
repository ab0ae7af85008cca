import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspectObject } from '../content/inspect.js';
import { buildAttachment, type AttachmentKind } from './attachments.js';
import { SeededRandom } from './seeded-random.js';

const KINDS: AttachmentKind[] = ['zip', 'pdf', 'binary'];

test('attachments come close to their size', () => {
  for (const kind of KINDS) {
    for (const bytes of [10_000, 1_000_000]) {
      const attachment = buildAttachment(kind, bytes, 'marker', new SeededRandom('size'), 1);
      const error = Math.abs(attachment.content.length - bytes) / bytes;
      assert.ok(error < 0.05, `${kind} of ${bytes}: ${attachment.content.length} bytes`);
    }
  }
});

test('attachments have the type they claim', () => {
  const expected: Record<AttachmentKind, string> = { zip: 'zip', pdf: 'pdf', binary: 'unknown' };
  for (const kind of KINDS) {
    const attachment = buildAttachment(kind, 50_000, 'marker', new SeededRandom('type'), 1);
    const inspection = inspectObject(attachment.content, attachment.fileName);
    assert.equal(inspection.type.id, expected[kind], kind);
    assert.equal(inspection.isCorrupted, false, kind);
    assert.deepEqual(inspection.limitBreaches, [], kind);
  }
});

test('zip members all carry the marker', () => {
  const attachment = buildAttachment('zip', 1_500_000, 'marker-1', new SeededRandom('zip'), 1);
  const inspection = inspectObject(attachment.content, attachment.fileName);
  assert.ok(inspection.entries.length > 1, 'a large archive holds several files');
  const a = buildAttachment('zip', 1_500_000, 'marker-1', new SeededRandom('zip'), 1);
  const b = buildAttachment('zip', 1_500_000, 'marker-2', new SeededRandom('zip'), 1);
  assert.ok(a.content.equals(attachment.content), 'same seed and marker give the same bytes');
  assert.notDeepEqual(a.content, b.content);
});
