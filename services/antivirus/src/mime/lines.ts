/** One line of a buffer: its text runs [start, contentEnd), its line ending runs to next. */
export interface Line {
  start: number;
  contentEnd: number;
  /** Start of the following line; equals contentEnd at the end of the range. */
  next: number;
}

/**
 * Yields the lines of buf[start, end). Both CRLF and bare LF end a line, since real mail
 * mixes them and a parser that only knows one would not see the other's structure.
 */
export function* linesOf(buf: Buffer, start: number, end: number): Generator<Line> {
  let position = start;
  while (position < end) {
    const lf = buf.indexOf(0x0a, position);
    if (lf === -1 || lf >= end) {
      yield { start: position, contentEnd: end, next: end };
      return;
    }
    const contentEnd = lf > position && buf[lf - 1] === 0x0d ? lf - 1 : lf;
    yield { start: position, contentEnd, next: lf + 1 };
    position = lf + 1;
  }
}

/** The newline the message mostly uses, so inserted text matches it. */
export function detectNewline(buf: Buffer): '\r\n' | '\n' {
  const lf = buf.indexOf(0x0a);
  return lf > 0 && buf[lf - 1] === 0x0d ? '\r\n' : '\n';
}
