import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestInterceptor } from '../support/harness.js';
import { SmtpTalk } from '../support/smtp-talk.js';

test('shutdown answers 421 to an idle session', async () => {
  const interceptor = await startTestInterceptor();
  const talk = await SmtpTalk.open(interceptor.smtpPort);
  await talk.reply();
  await talk.command('EHLO client.example.org');
  const stopped = interceptor.cleanup();
  assert.match(await talk.reply(), /^421 4\.3\.2 /);
  await stopped;
  talk.close();
});
