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
}
