import { CanaryKind } from '@mailshield/proto/canary';

/** Sender and recipient of every canary. The .invalid top-level domain never resolves (RFC 2606). */
export const CANARY_ADDRESS = 'self-test@mailshield.invalid';

/**
 * Returns the EICAR test file, joined at run time so that no scanner flags the source or
 * compiled files of the interceptor as infected.
 */
function eicar(): Buffer {
  return Buffer.from(
    ['X5O!P%@AP[4\\PZX54(P^)7CC)7}$', 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'].join(''),
    'latin1',
  );
}

/** Returns the GTUBE string that anti-spam engines score as spam, joined like EICAR. */
function gtube(): string {
  return ['XJS*C4JDBQADN1.NSBN3*2IDNEN*', 'GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'].join('');
}

/**
 * Builds the RFC 5322 message of a canary: EICAR as a base64 attachment, or GTUBE in a plain
 * text body. Throws RangeError for CANARY_KIND_UNSPECIFIED.
 */
export function buildCanaryMessage(kind: CanaryKind, id: string, date: Date): Buffer {
  const headers = [
    `From: <${CANARY_ADDRESS}>`,
    `To: <${CANARY_ADDRESS}>`,
    `Subject: mailshield self-test ${canaryName(kind)}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${id}@mailshield.invalid>`,
    'MIME-Version: 1.0',
  ];
  const text = 'A canary of the mailshield self-test. It is never delivered.';
  if (kind === CanaryKind.CANARY_KIND_GTUBE) {
    headers.push('Content-Type: text/plain; charset=us-ascii');
    return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${text}\r\n\r\n${gtube()}\r\n`, 'latin1');
  }
  if (kind !== CanaryKind.CANARY_KIND_EICAR) throw new RangeError(`unknown canary kind ${kind}`);
  const boundary = `canary-${id}`;
  headers.push(`Content-Type: multipart/mixed; boundary="${boundary}"`);
  const body = [
    `--${boundary}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    text,
    `--${boundary}`,
    'Content-Type: application/octet-stream; name="eicar.com"',
    'Content-Disposition: attachment; filename="eicar.com"',
    'Content-Transfer-Encoding: base64',
    '',
    // RFC 2045 limits base64 lines to 76 characters.
    ...(eicar()
      .toString('base64')
      .match(/.{1,76}/g) ?? []),
    `--${boundary}--`,
    '',
  ];
  return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body.join('\r\n')}`, 'latin1');
}

/** Returns the short name of a canary kind, such as "eicar", for logs and metric labels. */
export function canaryName(kind: CanaryKind): string {
  switch (kind) {
    case CanaryKind.CANARY_KIND_EICAR:
      return 'eicar';
    case CanaryKind.CANARY_KIND_GTUBE:
      return 'gtube';
    default:
      return 'unspecified';
  }
}
