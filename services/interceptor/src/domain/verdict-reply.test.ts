import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Disposition, type MessageRecord } from '@mailshield/proto/message';
import { replyForVerdict } from './verdict-reply.js';

function reply(disposition: Disposition, text: string) {
  return replyForVerdict({ disposition, reply: text } as MessageRecord);
}

test('verdict reply keeps a stage reject text', () => {
  assert.deepEqual(
    reply(Disposition.DISPOSITION_REJECT, '550 5.7.1 Message contains a virus (Eicar)'),
    {
      kind: 'refuse',
      code: 550,
      text: '5.7.1 Message contains a virus (Eicar)',
    },
  );
  assert.deepEqual(reply(Disposition.DISPOSITION_REJECT, '5.7.1 Message rejected: virus found'), {
    kind: 'refuse',
    code: 550,
    text: '5.7.1 Message rejected: virus found',
  });
});

test('verdict reply never turns a reject into 4xx', () => {
  assert.deepEqual(reply(Disposition.DISPOSITION_REJECT, '451 4.7.0 later'), {
    kind: 'refuse',
    code: 550,
    text: '5.7.1 Message rejected by policy',
  });
  assert.equal(
    (reply(Disposition.DISPOSITION_TEMPFAIL, '550 5.7.1 no') as { code: number }).code,
    451,
  );
});

test('verdict reply accepts deliver, hold and delete', () => {
  for (const disposition of [
    Disposition.DISPOSITION_DELIVER,
    Disposition.DISPOSITION_HOLD,
    Disposition.DISPOSITION_DELETE,
  ]) {
    assert.deepEqual(reply(disposition, ''), { kind: 'accept' });
  }
  assert.equal((reply(Disposition.DISPOSITION_UNSPECIFIED, '') as { code: number }).code, 451);
});
