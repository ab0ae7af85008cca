import { defaultPolicy } from '@mailshield/common';
import { Envelope } from '@mailshield/proto/message';
import type { AntispamPolicy } from '@mailshield/proto/policy';
import { parseMessage } from '../engine/parse.js';
import type { CheckContext, ParsedMessage } from '../engine/types.js';

/** Receipt time used by every test context, so date rules are deterministic. */
export const RECEIVED_AT = new Date('2024-01-01T10:05:00Z');

const DEFAULT_HEADERS: [string, string][] = [
  ['From', 'Alice Example <alice@example.org>'],
  ['To', 'bob@example.com'],
  ['Subject', 'Minutes of the Tuesday meeting'],
  ['Date', 'Mon, 01 Jan 2024 10:00:00 +0000'],
  ['Message-ID', '<minutes-1@example.org>'],
  ['MIME-Version', '1.0'],
  ['Content-Type', 'text/plain; charset=utf-8'],
];

export interface MessageSpec {
  /** Header fields replacing the defaults of the same name; a null value removes the default. */
  headers?: Record<string, string | null>;
  body?: string;
}

/** Builds a small, ordinary plain-text message with CRLF line ends. */
export function buildRaw(spec: MessageSpec = {}): Buffer {
  const overrides = spec.headers ?? {};
  const lower = new Map(
    Object.entries(overrides).map(([name, value]) => [name.toLowerCase(), [name, value] as const]),
  );
  const fields: string[] = [];
  for (const [name, value] of DEFAULT_HEADERS) {
    const override = lower.get(name.toLowerCase());
    lower.delete(name.toLowerCase());
    const finalValue = override === undefined ? value : override[1];
    if (finalValue !== null) fields.push(`${name}: ${finalValue}`);
  }
  for (const [name, value] of lower.values()) if (value !== null) fields.push(`${name}: ${value}`);
  const body =
    spec.body ?? 'Hello Bob,\r\n\r\nthe minutes are below. See you next week.\r\n\r\nAlice\r\n';
  return Buffer.from(`${fields.join('\r\n')}\r\n\r\n${body}`, 'utf8');
}

export function parse(spec: MessageSpec = {}): Promise<ParsedMessage> {
  return parseMessage(buildRaw(spec));
}

export function testPolicy(overrides: Partial<AntispamPolicy> = {}): AntispamPolicy {
  return { ...defaultPolicy().antispam!, ...overrides };
}

export function testContext(
  overrides: { mailFrom?: string; policy?: Partial<AntispamPolicy> } = {},
): CheckContext {
  return {
    envelope: Envelope.fromPartial({
      mailFrom: overrides.mailFrom ?? 'alice@example.org',
      rcptTo: ['bob@example.com'],
      receivedAt: RECEIVED_AT,
    }),
    policy: testPolicy(overrides.policy),
    now: RECEIVED_AT,
    signal: new AbortController().signal,
  };
}

/** Builds the spec of an HTML-only message with the given markup. */
export function htmlMessage(
  html: string,
  headers: Record<string, string | null> = {},
): MessageSpec {
  return { headers: { 'Content-Type': 'text/html; charset=utf-8', ...headers }, body: html };
}
