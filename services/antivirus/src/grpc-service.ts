import {
  contextFromMetadata,
  getTracer,
  InvalidArgumentError,
  unary,
  withSpan,
  type Logger,
} from '@mailshield/common';
import type {
  AntivirusServer,
  ScanMessageRequest,
  ScanMessageResponse,
} from '@mailshield/proto/antivirus';
import { QueueMode } from '@mailshield/proto/message';
import { evaluateMessage, type StageContext } from './stage.js';

/**
 * Implements Antivirus.ScanMessage with the consumer's scan and policy. Nothing is backed up
 * or retried. A temporary failure returns disposition TEMPFAIL, as in before-queue mode.
 */
export function antivirusServer(context: StageContext, logger: Logger): AntivirusServer {
  return {
    scanMessage: unary<ScanMessageRequest, ScanMessageResponse>(
      logger,
      async (request, metadata) => {
        if (request.raw.length === 0) {
          throw new InvalidArgumentError(
            'AV_REQUEST_INVALID',
            'raw is empty: send the whole RFC 5322 message',
            ['raw: empty'],
          );
        }
        return withSpan(
          getTracer('antivirus'),
          'antivirus.scan_message',
          contextFromMetadata(metadata),
          async (span) => {
            const raw = Buffer.from(request.raw);
            // NOTE: the request names no recipient, so on-demand scans get the direction's
            // policy overrides only, never those of a recipient domain.
            const { plan, outcome } = await evaluateMessage(
              raw,
              { queueMode: QueueMode.QUEUE_MODE_BEFORE_QUEUE, isOutbound: request.outbound },
              context,
              span,
            );
            logger.info(
              {
                event: 'grpc.scan_completed',
                mail_id: request.id,
                status: outcome.status,
                action: outcome.action,
              },
              'on-demand scan completed',
            );
            return { outcome, disposition: plan.disposition, raw: plan.raw };
          },
        );
      },
    ),
  };
}
