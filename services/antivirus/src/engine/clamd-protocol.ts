import { ClamdError } from './clamd-error.js';

/**
 * The clamd wire format, without sockets. Commands use the `z` prefix, so clamd ends each
 * command and each reply line with NUL, and a file path may contain any byte but NUL.
 * Reference: clamd(8) of ClamAV 1.4, sections "COMMANDS" and "INSTREAM".
 */

/** Ends an INSTREAM: a chunk of length zero. */
export const END_OF_STREAM = Buffer.alloc(4);

/** Largest length one INSTREAM chunk header can carry. */
export const MAX_CHUNK_LENGTH = 0xffff_ffff;

/** Encodes `command` as `z<command>\0`. Throws RangeError for a command that contains NUL. */
export function encodeCommand(command: string): Buffer {
  if (command.includes('\0')) throw new RangeError('a clamd command cannot contain NUL');
  return Buffer.from(`z${command}\0`, 'utf8');
}

/** Encodes the 4-byte big-endian length that precedes each INSTREAM chunk. */
export function chunkHeader(length: number): Buffer {
  if (!Number.isInteger(length) || length < 0 || length > MAX_CHUNK_LENGTH)
    throw new RangeError(`invalid INSTREAM chunk length ${length}`);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(length, 0);
  return header;
}

/** The NUL-terminated lines of a reply, and whether the last one was terminated. */
export interface ReplyLines {
  lines: string[];
  isComplete: boolean;
}

/**
 * Splits the bytes clamd sent into lines. A reply that does not end with NUL was cut off, so
 * the caller must not read a verdict from it: a cut "stream: Eicar…" line is not clean.
 */
export function splitReply(raw: Buffer): ReplyLines {
  const text = raw.toString('utf8');
  const isComplete = text.endsWith('\0');
  const parts = text.split('\0');
  parts.pop();
  return { lines: parts.filter((line) => line !== ''), isComplete };
}

/** Subject of a scan reply: a stream sent with INSTREAM, or a file named in SCAN. */
export type ScanSubject = 'stream' | 'file';

const SIZE_LIMIT_REPLY = 'INSTREAM size limit exceeded. ERROR';

/**
 * Reads the signature names from the lines of an INSTREAM or SCAN reply: an empty list for
 * `<subject>: OK`, the names of `<subject>: <name> FOUND` lines otherwise (several with
 * AllMatchScans). Throws ClamdError: `sizeLimit` for a stream over StreamMaxLength, `fileError`
 * when SCAN could not scan the file, `scanError` for another ERROR line, `badReply` for
 * anything else, and `closed` when there is no line at all.
 */
export function parseScanReply(lines: string[], subject: ScanSubject): string[] {
  if (lines.length === 0)
    throw new ClamdError('closed', 'clamd closed the connection without a reply');
  const names: string[] = [];
  let firstError: ClamdError | undefined;
  let hasOk = false;
  for (const line of lines) {
    const parsed = parseScanLine(line, subject);
    if (parsed instanceof ClamdError) firstError ??= parsed;
    else if (parsed === 'OK') hasOk = true;
    else names.push(parsed);
  }
  // A signature found is definitive even when another line of the reply is an error.
  if (names.length > 0) return names;
  if (firstError !== undefined) throw firstError;
  if (!hasOk) throw new ClamdError('badReply', `unexpected clamd reply ${quote(lines.join('|'))}`);
  return [];
}

/** Parses one reply line into 'OK', a signature name, or the error it reports. */
function parseScanLine(line: string, subject: ScanSubject): string | ClamdError {
  if (line === SIZE_LIMIT_REPLY)
    return new ClamdError('sizeLimit', 'stream is longer than clamd StreamMaxLength');
  const separator = line.lastIndexOf(': ');
  const isPrefixed = subject === 'file' ? separator > 0 : line.startsWith('stream: ');
  const result = isPrefixed ? line.slice(separator + 2) : '';
  if (isPrefixed && result === 'OK') return 'OK';
  if (isPrefixed && result.endsWith(' FOUND') && result.length > ' FOUND'.length)
    return result.slice(0, -' FOUND'.length);
  // A file reply takes the whole line for its message: the error may itself contain ': '.
  if (subject === 'file')
    return new ClamdError('fileError', `clamd could not scan the file: ${quote(line)}`);
  if (line.endsWith(' ERROR'))
    return new ClamdError('scanError', `clamd reported an error: ${quote(line)}`);
  return new ClamdError('badReply', `unexpected clamd reply ${quote(line)}`);
}

/** Engine and signature database versions, as VERSION reports them. */
export interface ClamdVersion {
  /** ClamAV version, such as `1.4.6`. */
  engineVersion: string;
  /** Version of the daily signature database; undefined when clamd loaded no official database. */
  databaseVersion: number | undefined;
  /** Build time of that database; undefined with no official database or an unreadable date. */
  databaseTime: Date | undefined;
}

const VERSION_PATTERN = /^ClamAV ([^/\s]+)(?:\/(\d+)\/(.+))?$/;

/**
 * Parses a VERSION reply: `ClamAV 1.4.6` when only unofficial signature files are loaded, or
 * `ClamAV 1.4.6/27496/Thu Dec  3 09:33:02 2026` with the official databases. Throws ClamdError
 * `badReply` for anything else.
 */
export function parseVersion(lines: string[]): ClamdVersion {
  const match = lines.length === 1 ? VERSION_PATTERN.exec(lines[0]!) : null;
  if (match === null)
    throw new ClamdError('badReply', `unexpected VERSION reply ${quote(lines.join('|'))}`);
  return {
    engineVersion: match[1]!,
    databaseVersion: match[2] === undefined ? undefined : Number(match[2]),
    databaseTime: match[3] === undefined ? undefined : parseCtime(match[3]),
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const CTIME_PATTERN = /^[A-Z][a-z]{2} ([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/**
 * Parses the ctime(3) format clamd prints the database build time in, such as
 * `Thu Dec  3 09:33:02 2026`. NOTE: ctime prints the time in the zone of the clamd host, which
 * the reply does not name. This function reads it as UTC, the usual zone of a clamd container.
 */
export function parseCtime(text: string): Date | undefined {
  const match = CTIME_PATTERN.exec(text.trim());
  if (match === null) return undefined;
  const month = MONTHS.indexOf(match[1]!);
  if (month < 0) return undefined;
  const [day, hours, minutes, seconds, year] = match.slice(2).map(Number) as number[];
  return new Date(Date.UTC(year!, month, day, hours, minutes, seconds));
}

/** Parses a PING reply; throws ClamdError `badReply` unless it is PONG. */
export function parsePong(lines: string[]): void {
  if (lines.length !== 1 || lines[0] !== 'PONG')
    throw new ClamdError('badReply', `unexpected PING reply ${quote(lines.join('|'))}`);
}

/** Quotes clamd output for a message, shortened so a garbage reply cannot flood the logs. */
function quote(text: string): string {
  const shown = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return JSON.stringify(shown);
}
