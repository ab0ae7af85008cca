import { headerEnd } from '@mailshield/common';
import type { Attachment } from './attachments.js';

const BASE64_LINE_CHARS = 76;

/**
 * Attaches `attachment` to a message: the message becomes multipart/mixed, its own body with
 * its Content-* fields becomes the first part, and the attachment the second, in base64. The
 * other header fields stay in front, unchanged. Works for every message type, multipart ones
 * included, which end up nested in the first part. `boundaryId` must be unique to the
 * message, because it is also in the preamble, which the antivirus scans as an object.
 */
export function attach(raw: Buffer, attachment: Attachment, boundaryId: string): Buffer {
  const end = headerEnd(raw);
  const { kept, content } = splitContentFields(raw.subarray(0, end).toString('latin1'));
  let body = raw.subarray(end);
  if (body.length > 0 && !body.subarray(-2).equals(Buffer.from('\r\n'))) {
    body = Buffer.concat([body, Buffer.from('\r\n')]);
  }
  const boundary = `=_bench_${boundaryId}`;
  const firstPartHeader = content.length > 0 ? content.join('') : 'Content-Type: text/plain\r\n';
  const head =
    `${kept.join('')}MIME-Version: 1.0\r\n` +
    `Content-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n` +
    `This is a multi-part message in MIME format (${boundaryId}).\r\n` +
    `--${boundary}\r\n${firstPartHeader}\r\n`;
  const attachmentPart =
    `--${boundary}\r\n` +
    `Content-Type: ${attachment.contentType}; name="${attachment.fileName}"\r\n` +
    'Content-Transfer-Encoding: base64\r\n' +
    `Content-Disposition: attachment; filename="${attachment.fileName}"\r\n\r\n` +
    `${base64Lines(attachment.content)}--${boundary}--\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body, Buffer.from(attachmentPart, 'latin1')]);
}

/**
 * Splits a header block into the fields that describe the body (Content-*, and MIME-Version,
 * which the new top level writes again) and the others. Each field keeps its folded lines.
 */
function splitContentFields(header: string): { kept: string[]; content: string[] } {
  const kept: string[] = [];
  const content: string[] = [];
  const dropped: string[] = [];
  let target = kept;
  for (const line of header.split(/(?<=\r\n)/)) {
    if (line === '\r\n') continue;
    const isContinuation = line.startsWith(' ') || line.startsWith('\t');
    if (!isContinuation) {
      const name = line
        .slice(0, Math.max(0, line.indexOf(':')))
        .trim()
        .toLowerCase();
      if (name === 'mime-version') target = dropped;
      else target = name.startsWith('content-') ? content : kept;
    }
    target.push(line);
  }
  return { kept, content };
}

function base64Lines(content: Buffer): string {
  const encoded = content.toString('base64');
  const lines: string[] = [];
  for (let at = 0; at < encoded.length; at += BASE64_LINE_CHARS) {
    lines.push(encoded.slice(at, at + BASE64_LINE_CHARS));
  }
  return lines.join('\r\n') + '\r\n';
}
