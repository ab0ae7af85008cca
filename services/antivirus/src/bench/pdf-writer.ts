import { deflateSync } from 'node:zlib';
import type { SeededRandom } from './seeded-random.js';
import { randomText } from './text.js';

/** Share of the file for the compressed text of the page (an estimate). An image fills the rest. */
const TEXT_SHARE = 0.25;
/** Deflate ratio assumed for the text when sizing it; the image is sized from the real result. */
const TEXT_RATIO_GUESS = 4;
/** JPEG start of image, then a comment segment (FF FE and a 16-bit length that counts itself). */
const JPEG_START_OF_IMAGE = Buffer.from([0xff, 0xd8]);
const JPEG_COMMENT = Buffer.from([0xff, 0xfe]);

/**
 * Builds a one-page PDF of about `bytes` bytes, like a scanned report: a Flate-compressed text
 * content stream and a JPEG image of random bytes. `marker` is a comment line near the start
 * and the first line of the page's text, and the image starts with it as a JPEG comment, so
 * no stream of the file repeats between messages. The cross-reference table has the real
 * offsets, so PDF parsers read the objects without repairing the file.
 */
export function buildPdf(bytes: number, marker: string, random: SeededRandom): Buffer {
  const lines = randomText(random, Math.max(200, bytes * TEXT_SHARE * TEXT_RATIO_GUESS), '\n')
    .trimEnd()
    .split('\n');
  const operators = [marker, ...lines].map(
    (line, index) => `BT /F1 9 Tf 40 ${780 - (index % 70) * 11} Td (${line}) Tj ET`,
  );
  const contents = deflateSync(Buffer.from(operators.join('\n'), 'latin1'));
  const imageBytes = Math.max(64, bytes - contents.length - 900);
  const image = jpegLike(imageBytes, marker, random);
  const objects: Buffer[] = [
    text('<< /Type /Catalog /Pages 2 0 R >>'),
    text('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
    text(
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R ' +
        '/Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>',
    ),
    stream(`/Filter /FlateDecode`, contents),
    text('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'),
    stream(
      '/Type /XObject /Subtype /Image /Width 1024 /Height 768 /ColorSpace /DeviceRGB ' +
        '/BitsPerComponent 8 /Filter /DCTDecode',
      image,
    ),
  ];
  return assemble(objects, marker);
}

/** Returns `bytes` bytes (or a few more) that start like a JPEG with a comment, then random. */
function jpegLike(bytes: number, marker: string, random: SeededRandom): Buffer {
  const comment = Buffer.from(marker, 'latin1');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(comment.length + 2);
  const head = Buffer.concat([JPEG_START_OF_IMAGE, JPEG_COMMENT, length, comment]);
  return Buffer.concat([head, random.bytes(Math.max(0, bytes - head.length))]);
}

function text(body: string): Buffer {
  return Buffer.from(body, 'latin1');
}

function stream(dictionary: string, data: Buffer): Buffer {
  return Buffer.concat([
    text(`<< ${dictionary} /Length ${data.length} >>\nstream\n`),
    data,
    text('\nendstream'),
  ]);
}

/** Numbers the objects from 1, then adds the cross-reference table and the trailer. */
function assemble(objects: Buffer[], marker: string): Buffer {
  const parts: Buffer[] = [text(`%PDF-1.4\n%\xe2\xe3\xcf\xd3\n% ${marker}\n`)];
  let offset = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((body, index) => {
    const object = Buffer.concat([text(`${index + 1} 0 obj\n`), body, text('\nendobj\n')]);
    offsets.push(offset);
    parts.push(object);
    offset += object.length;
  });
  const entries = offsets.map((at) => `${String(at).padStart(10, '0')} 00000 n \n`).join('');
  parts.push(
    text(
      `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${entries}` +
        `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${offset}\n%%EOF\n`,
    ),
  );
  return Buffer.concat(parts);
}
