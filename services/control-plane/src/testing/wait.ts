import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `condition` every 50 ms until it is true; throws after `timeoutMs` with `description` in the
 * message. The default deadline is generous because the test machines are shared and noisy.
 */
export async function waitFor(
  condition: () => boolean,
  description: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    await sleep(50);
  }
}
