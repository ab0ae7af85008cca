import {
  decodeRecord,
  Topics,
  type Logger,
  type MessageBus,
  type Subscription,
} from '@mailshield/common';
import { RecordKind } from '@mailshield/proto/message';
import type { VerdictWaiter } from '../handlers/verdict-waiter.js';

/**
 * Reads the verdict topic for this instance's before-queue sessions. The group is private to
 * the process and starts at the end of the topic: a verdict for a session that no longer
 * exists (after a restart) has no session to reply to, and the delivery consumer ignores such
 * before-queue messages because no SESSION_ACCEPTED record follows them.
 */
export async function startVerdictListener(
  bus: MessageBus,
  instance: string,
  waiter: VerdictWaiter,
  logger: Logger,
): Promise<Subscription> {
  return bus.subscribe({
    topic: Topics.verdicts,
    groupId: `mailshield-interceptor-${instance}`,
    fromLatest: true,
    isEphemeral: true,
    handleBatch: async (records) => {
      for (const consumed of records) {
        if (waiter.size === 0) return;
        try {
          const record = decodeRecord(consumed);
          if (record.kind === RecordKind.RECORD_KIND_MESSAGE) waiter.deliver(record);
        } catch (err) {
          logger.warn(
            {
              err,
              event: 'verdict.undecodable',
              offset: consumed.offset,
              partition: consumed.partition,
            },
            'verdict record could not be decoded; ignored by the before-queue listener',
          );
        }
      }
    },
  });
}
