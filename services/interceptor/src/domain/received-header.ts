/** Session facts that the Received header of an accepted message records. */
export interface ReceivedFields {
  helo: string;
  clientAddress: string;
  serverName: string;
  /** True when the session ran over TLS: the protocol is ESMTPS instead of ESMTP. */
  tls: boolean;
  messageId: string;
  /** The one recipient, named only when there is exactly one (RFC 5321 section 4.4). */
  recipients: string[];
  receivedAt: Date;
}

const MAX_TOKEN_LENGTH = 255;

/**
 * Builds the Received trace header (RFC 5321 section 4.4), folded, ending in CRLF. Every value
 * from the client passes through `toHeaderToken`, so no CR, LF or other control character
 * from HELO or an address can start a header of its own.
 */
export function buildReceivedHeader(fields: ReceivedFields): string {
  const helo = toHeaderToken(fields.helo) || 'unknown';
  const client = toHeaderToken(fields.clientAddress);
  const lines = [
    `Received: from ${helo} ([${client}])`,
    `\tby ${toHeaderToken(fields.serverName)} (mailshield) with ${fields.tls ? 'ESMTPS' : 'ESMTP'}`,
    `\tid ${toHeaderToken(fields.messageId)}`,
  ];
  const only = fields.recipients.length === 1 ? fields.recipients[0] : undefined;
  if (only !== undefined) lines.push(`\tfor <${toHeaderToken(only)}>`);
  lines[lines.length - 1] += `; ${formatRfc5322Date(fields.receivedAt)}`;
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * Reduces a client-supplied value to visible ASCII without spaces, parentheses or angle
 * brackets, so it stays one inert token of the header. Characters outside that set become `?`.
 */
export function toHeaderToken(value: string): string {
  return value.slice(0, MAX_TOKEN_LENGTH).replace(/[^\x21-\x7e]|[()<>;]/g, '?');
}

/** Formats a date as RFC 5322 `date-time` in UTC, such as `Mon, 01 Jan 2024 10:00:00 +0000`. */
export function formatRfc5322Date(date: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = [
    'Jan',
    'Feb',
    'Mar',
    'Apr',
    'May',
    'Jun',
    'Jul',
    'Aug',
    'Sep',
    'Oct',
    'Nov',
    'Dec',
  ];
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
  return (
    `${days[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${months[date.getUTCMonth()]} ` +
    `${date.getUTCFullYear()} ${time} +0000`
  );
}
