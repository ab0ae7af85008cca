/** Bytes looked at to decide between text and binary. */
const SAMPLE_BYTES = 8192;

/**
 * Tags that open an HTML document, checked case-insensitively after a byte order mark and
 * blanks. A leading comment or XML declaration is not enough on its own.
 */
const HTML_STARTS = ['<!doctype html', '<html', '<head', '<body', '<script', '<iframe', '<meta'];

/** Recognises HTML, then text: 'html', 'text' or undefined for binary data. */
export function sniffText(content: Buffer): 'html' | 'text' | undefined {
  const sample = content.subarray(0, SAMPLE_BYTES);
  if (hasUtf16Bom(sample)) return 'text';
  if (!isTextSample(sample)) return undefined;
  const start = sample
    .toString('latin1')
    .replace(/^\xef\xbb\xbf/, '')
    .trimStart()
    .slice(0, 64)
    .toLowerCase();
  return HTML_STARTS.some((tag) => start.startsWith(tag)) ? 'html' : 'text';
}

function hasUtf16Bom(sample: Buffer): boolean {
  return (
    sample.length >= 2 &&
    ((sample[0] === 0xff && sample[1] === 0xfe) || (sample[0] === 0xfe && sample[1] === 0xff))
  );
}

/**
 * Checks that a sample looks like text. Text has no NUL bytes and few other control characters: tab, line feed, form feed,
 * carriage return and escape are allowed, and at most 1 % of others (stray bytes in legacy
 * files). Bytes from 0x80 up count as text, for UTF-8 and single-byte charsets alike.
 */
function isTextSample(sample: Buffer): boolean {
  let controls = 0;
  for (const byte of sample) {
    if (byte === 0) return false;
    const isAllowed =
      byte === 0x09 || byte === 0x0a || byte === 0x0c || byte === 0x0d || byte === 0x1b;
    if ((byte < 0x20 && !isAllowed) || byte === 0x7f) controls++;
  }
  return controls * 100 <= sample.length;
}
