import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { corpusMessages, malwareAndSpamMessages, sendAll } from '../harness/traffic.js';
import { assertOutcomes, settle } from '../harness/reconcile.js';
import type { Pipeline } from '../harness/pipeline.js';

/**
 * The main end-to-end flow: 320 corpus messages, EICAR in four forms, the 44 clamav-testfiles
 * and GTUBE go in over SMTP; every message is then accounted for exactly once.
 */
export async function runMainFlow(pipeline: Pipeline): Promise<void> {
  const messages = [...(await corpusMessages(200, 120)), ...(await malwareAndSpamMessages())];
  const sent = await sendAll(pipeline.smtpPort, messages);
  const result = await settle(pipeline, sent, 240_000);
  assertOutcomes(sent, result);
  await assertStoreEmpty(pipeline);
}

/** Checks that the antivirus removed every object it wrote to its scan store. */
export async function assertStoreEmpty(pipeline: Pipeline): Promise<void> {
  const instances = await readdir(pipeline.storeDir);
  assert.ok(instances.length > 0, 'the antivirus did not create its scan store');
  for (const instance of instances) {
    assert.deepEqual(await readdir(join(pipeline.storeDir, instance)), [], `store of ${instance}`);
  }
}
