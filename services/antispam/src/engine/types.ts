import type { Envelope } from '@mailshield/proto/message';
import type { AntispamPolicy } from '@mailshield/proto/policy';
import type { Mailbox } from './address.js';

/** A message as the checks see it: the raw bytes plus what the MIME parser decoded. */
export interface ParsedMessage {
  raw: Buffer;
  /** Unfolded header fields in order; names lower-cased, values as written. */
  headers: { name: string; value: string }[];
  /** Decoded text/plain body, or '' when there is none. */
  text: string;
  /** Decoded text/html body, or '' when there is none. */
  html: string;
  subject: string | undefined;
  /** Mailboxes of the From header, parsed per RFC 5322; empty when missing or invalid. */
  from: Mailbox[];
  /** Number of attachments the parser found. */
  attachmentCount: number;
}

/** What a check may know besides the message itself. */
export interface CheckContext {
  envelope: Envelope;
  policy: AntispamPolicy;
  /** Reference time for date rules: when the gateway received the message. */
  now: Date;
  /** Aborted when the scan's deadline passes; network checks must honour it. */
  signal: AbortSignal;
}

/**
 * How a finding changes the status regardless of the score: `allow` makes the message clean,
 * `block` makes it blacklisted, `bulk` marks mass mailing when the score is below the
 * probable-spam threshold.
 */
export type FindingEffect = 'allow' | 'block' | 'bulk';

/** One rule that fired. */
export interface Finding {
  /** Rule name in UPPER_SNAKE, unique across all checks, such as MISSING_DATE. */
  name: string;
  /** What the finding concerns: "message", "header:From", "envelope", "body". */
  object: string;
  /** Points added to the message score; negative values lower it. */
  score: number;
  /** Short text for people; never copied into message headers. */
  detail: string;
  effect?: FindingEffect;
}

/**
 * One independent check. Checks must not depend on each other's results, because the engine
 * runs them concurrently and sums the scores of all findings. A check may be asynchronous, such as a DNS block list lookup.
 */
export interface Check {
  /** Short lower-case name, used in the report header and as a metric label. */
  name: string;
  run(message: ParsedMessage, context: CheckContext): Promise<Finding[]> | Finding[];
}
