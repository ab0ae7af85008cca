import {
  QueueMode,
  Disposition,
  RecordKind,
  Stage,
  type MessageRecord,
} from '@mailshield/proto/message';
import { buildReceivedHeader } from '../domain/received-header.js';

/** Facts the SMTP session has about one message at the end of DATA. */
export interface SessionFacts {
  sessionId: string;
  /**
   * The real client's address, which the antispam checks SPF and block lists on; '' when it is
   * not known (see `ClientOrigin`), so those checks are skipped rather than run on a cluster
   * address.
   */
  clientAddress: string;
  /** The address the Received header names: the client's when known, else the socket's peer. */
  traceAddress: string;
  /** HELO/EHLO argument with control characters already removed. */
  helo: string;
  /** MAIL FROM address, '' for the null sender. */
  mailFrom: string;
  rcptTo: string[];
  tls: boolean;
  /** True when the client is in a trusted network. */
  outbound: boolean;
}

export interface RecordContext {
  id: string;
  receivedAt: Date;
  queueMode: QueueMode;
  policyVersion: number;
  instance: string;
  serverName: string;
  traceContext: Record<string, string>;
  traceId: string;
}

/**
 * Builds the MessageRecord of a message accepted at end of DATA: our Received header in front
 * of the message bytes exactly as received, disposition DELIVER, and the interceptor's outcome.
 */
export function buildMessageRecord(
  facts: SessionFacts,
  raw: Buffer,
  context: RecordContext,
): MessageRecord {
  const received = buildReceivedHeader({
    helo: facts.helo,
    clientAddress: facts.traceAddress,
    serverName: context.serverName,
    tls: facts.tls,
    messageId: context.id,
    recipients: facts.rcptTo,
    receivedAt: context.receivedAt,
  });
  return {
    id: context.id,
    kind: RecordKind.RECORD_KIND_MESSAGE,
    envelope: {
      clientAddress: facts.clientAddress,
      clientHostname: '',
      helo: facts.helo,
      mailFrom: facts.mailFrom,
      rcptTo: facts.rcptTo,
      receivedAt: context.receivedAt,
      tls: facts.tls,
      outbound: facts.outbound,
    },
    raw: Buffer.concat([Buffer.from(received, 'latin1'), raw]),
    outcomes: [
      {
        stage: Stage.STAGE_INTERCEPTOR,
        scanner: 'smtp',
        status: 'accepted',
        action: 'deliver',
        reason: '',
        durationSeconds: 0,
        policyVersion: context.policyVersion,
        findings: [],
        score: 0,
        at: context.receivedAt,
        traceId: context.traceId,
        instance: context.instance,
      },
    ],
    traceContext: context.traceContext,
    queueMode: context.queueMode,
    disposition: Disposition.DISPOSITION_DELIVER,
    sessionInstance: context.instance,
    reply: '',
    deliverTo: [],
    deliveryAttempts: 0,
    deliverAfter: undefined,
    deliveryKey: '',
  };
}

/** Returns the queue mode in force; an unset mode in the policy means after-queue. */
export function effectiveQueueMode(mode: QueueMode): QueueMode {
  return mode === QueueMode.QUEUE_MODE_BEFORE_QUEUE ? mode : QueueMode.QUEUE_MODE_AFTER_QUEUE;
}
