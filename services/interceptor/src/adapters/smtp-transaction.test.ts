import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InterceptorErrorCode } from '../errors.js';
import { TransactionRecipients, type SendError } from './smtp-transaction.js';

function names(entries: { recipient: string }[]): string[] {
  return entries.map((entry) => entry.recipient);
}

test('transaction maps rewritten addresses back to the record', () => {
  const transaction = new TransactionRecipients(['One@Example.COM', 'user@bücher.de']);
  assert.deepEqual(transaction.addresses, ['One@example.com', 'user@xn--bcher-kva.de']);
  const result = transaction.fromInfo({
    accepted: ['One@example.com', 'user@xn--bcher-kva.de'],
    response: '250 2.0.0 queued',
  });
  assert.deepEqual(names(result.accepted), ['One@Example.COM', 'user@bücher.de']);
  assert.equal(result.accepted[0]!.reply, '250 2.0.0 queued');
  assert.deepEqual(result.bounced, []);
  assert.deepEqual(result.deferred, []);
});

test('transaction splits recipient replies by class', () => {
  const transaction = new TransactionRecipients([
    'a@example.com',
    'b@example.com',
    'c@example.com',
  ]);
  const result = transaction.fromInfo({
    accepted: ['a@example.com'],
    rejectedErrors: [
      { recipient: 'b@example.com', responseCode: 550, response: '550 5.1.1 no such user' },
      { recipient: 'c@example.com', responseCode: 451, response: '451 4.3.0 try later' },
    ],
    response: '250 ok',
  });
  assert.deepEqual(names(result.accepted), ['a@example.com']);
  assert.deepEqual(result.bounced, [
    { recipient: 'b@example.com', reply: '550 5.1.1 no such user' },
  ]);
  assert.deepEqual(result.deferred, [{ recipient: 'c@example.com', reply: '451 4.3.0 try later' }]);
  assert.equal(result.deferReason, InterceptorErrorCode.nextHopDeferred);
});

test('transaction defers a recipient no reply names', () => {
  const transaction = new TransactionRecipients(['a@example.com', 'b@example.com']);
  const result = transaction.fromInfo({ accepted: ['a@example.com'], response: '250 ok' });
  assert.deepEqual(names(result.deferred), ['b@example.com']);
});

test('transaction defers every recipient on a network error', () => {
  const transaction = new TransactionRecipients(['a@example.com', 'b@example.com']);
  const error: SendError = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
    code: 'ESOCKET',
  });
  const result = transaction.fromError(error);
  assert.deepEqual(names(result.deferred), ['a@example.com', 'b@example.com']);
  assert.equal(result.deferred[0]!.reply, 'connect ECONNREFUSED 127.0.0.1:1');
  assert.equal(result.deferReason, InterceptorErrorCode.nextHopUnavailable);
});

test('transaction bounces every recipient on a 5xx to DATA', () => {
  const transaction = new TransactionRecipients(['a@example.com', 'b@example.com']);
  const error: SendError = Object.assign(new Error('Message failed'), {
    code: 'EMESSAGE',
    responseCode: 554,
    response: '554 5.6.0 message refused',
  });
  const result = transaction.fromError(error);
  assert.deepEqual(names(result.bounced), ['a@example.com', 'b@example.com']);
  assert.deepEqual(result.deferred, []);
});

test('transaction keeps each refusal when all recipients fail', () => {
  const transaction = new TransactionRecipients(['a@example.com', 'b@example.com']);
  const error: SendError = Object.assign(new Error('all recipients were rejected'), {
    code: 'EENVELOPE',
    responseCode: 451,
    response: '451 4.3.0 try later',
    rejectedErrors: [
      { recipient: 'a@example.com', responseCode: 550, response: '550 5.1.1 unknown' },
      { recipient: 'b@example.com', responseCode: 451, response: '451 4.3.0 try later' },
    ],
  });
  const result = transaction.fromError(error);
  assert.deepEqual(names(result.bounced), ['a@example.com']);
  assert.deepEqual(names(result.deferred), ['b@example.com']);
  assert.equal(result.deferReason, InterceptorErrorCode.nextHopDeferred);
});
