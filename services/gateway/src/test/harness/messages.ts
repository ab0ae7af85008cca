import { randomUUID } from 'node:crypto';
import { buildZip } from './zip-writer.js';

/** The standard 68-byte antivirus test file. */
export const EICAR = Buffer.from(
  'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*',
  'latin1',
);

/** The standard antispam test string. */
export const GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';

export interface Attachment {
  name: string;
  content: Buffer;
  contentType?: string;
}

/** Builds a CRLF message, multipart/mixed with base64 attachments when there are any. */
export function buildMessage(options: {
  from: string;
  to: string;
  subject: string;
  text: string;
  attachments?: Attachment[];
  testId?: string;
}): Buffer {
  const headers = [
    `From: <${options.from}>`,
    `To: <${options.to}>`,
    `Subject: ${options.subject}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${randomUUID()}@test.example.org>`,
    'MIME-Version: 1.0',
  ];
  if (options.testId !== undefined) headers.unshift(`X-Test-Id: ${options.testId}`);
  const attachments = options.attachments ?? [];
  if (attachments.length === 0) {
    headers.push('Content-Type: text/plain; charset=utf-8');
    return Buffer.from(
      `${headers.join('\r\n')}\r\n\r\n${options.text.replace(/\r?\n/g, '\r\n')}\r\n`,
      'utf8',
    );
  }
  const boundary = `b-${randomUUID()}`;
  headers.push(`Content-Type: multipart/mixed; boundary="${boundary}"`);
  const parts = [
    `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${options.text}\r\n`,
    ...attachments.map(
      (attachment) =>
        `--${boundary}\r\nContent-Type: ${attachment.contentType ?? 'application/octet-stream'}; name="${attachment.name}"\r\n` +
        `Content-Disposition: attachment; filename="${attachment.name}"\r\n` +
        `Content-Transfer-Encoding: base64\r\n\r\n${base64Lines(attachment.content)}\r\n`,
    ),
  ];
  return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${parts.join('')}--${boundary}--\r\n`, 'utf8');
}

function base64Lines(content: Buffer): string {
  return (content.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

/** EICAR in the forms a gateway must catch: attachment, zip, zip in zip, inline body. */
export function eicarVariants(): { name: string; attachments: Attachment[]; text: string }[] {
  const zip = buildZip([{ name: 'eicar.com', content: EICAR }]);
  return [
    {
      name: 'eicar-attachment',
      text: 'see attached',
      attachments: [{ name: 'eicar.com', content: EICAR }],
    },
    { name: 'eicar-zip', text: 'see attached', attachments: [{ name: 'eicar.zip', content: zip }] },
    {
      name: 'eicar-zip-in-zip',
      text: 'see attached',
      attachments: [
        { name: 'outer.zip', content: buildZip([{ name: 'inner.zip', content: zip }]) },
      ],
    },
    { name: 'eicar-inline', text: EICAR.toString('latin1'), attachments: [] },
  ];
}
