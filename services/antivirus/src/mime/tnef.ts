/** TNEF signature (MS-OXTNEF 2.1.3.1), little-endian at offset 0. */
export const TNEF_SIGNATURE = 0x223e9f78;

const LEVEL_MESSAGE = 0x01;
const LEVEL_ATTACHMENT = 0x02;
/** attAttachRendData: the first attribute of every attachment. */
const ATT_ATTACH_REND_DATA = 0x00069002;
const ATT_ATTACH_TITLE = 0x00018010;
const ATT_ATTACH_DATA = 0x0006800f;
/** attAttachment: the attachment's MAPI properties. */
const ATT_ATTACHMENT = 0x00069005;

const PR_DISPLAY_NAME = 0x3001;
const PR_ATTACH_DATA = 0x3701;
const PR_ATTACH_LONG_FILENAME = 0x3707;
const PT_STRING8 = 0x001e;
const PT_UNICODE = 0x001f;
const PT_BINARY = 0x0102;
const PT_OBJECT = 0x000d;
const MV_FLAG = 0x1000;

/** Level, id and length before the data; a 16-bit checksum after it. */
const ATTRIBUTE_HEAD = 9;
const ATTRIBUTE_CHECKSUM = 2;
/** PT_OBJECT values start with the interface id (16 bytes) of the object. */
const IID_LENGTH = 16;

/** One attachment of a TNEF stream. */
export interface TnefAttachment {
  /** attAttachTitle, often the 8.3 name. */
  title: string | undefined;
  /** PR_ATTACH_LONG_FILENAME from the attachment's MAPI properties. */
  longFileName: string | undefined;
  /** PR_DISPLAY_NAME, the name of an attached message. */
  displayName: string | undefined;
  /**
   * attAttachData, else the PR_ATTACH_DATA property: file bytes, or for an attached message
   * a TNEF stream of its own. Partial when the stream is cut short inside it.
   */
  content: Buffer;
  /** True when `content` is an attached message in TNEF form. */
  isEmbeddedMessage: boolean;
}

/** Content read from a TNEF stream. */
export interface TnefContent {
  /** The legacy key after the signature. */
  key: number;
  attachments: TnefAttachment[];
  /**
   * True when the stream is cut short, has a wrong checksum or unreadable attribute or MAPI
   * data. Everything read before the damage is still returned.
   */
  isCorrupted: boolean;
}

/** True when `data` starts with the TNEF signature. */
export function isTnef(data: Buffer): boolean {
  return data.length >= 4 && data.readUInt32LE(0) === TNEF_SIGNATURE;
}

/** Returns the best name of an attachment: long file name, then title, then display name. */
export function tnefAttachmentName(attachment: TnefAttachment): string | undefined {
  return attachment.longFileName ?? attachment.title ?? attachment.displayName;
}

/**
 * Parses a TNEF stream (winmail.dat, MS-OXTNEF) into its attachments. Every read is
 * bounds-checked and every step moves forward by at least one attribute header. Damaged input
 * therefore ends the parse with `isCorrupted` and the attachments read so far, and never
 * throws. An attached message is returned as one attachment whose content is its own TNEF
 * stream.
 */
export function parseTnef(data: Buffer): TnefContent {
  if (data.length < 6 || !isTnef(data)) return { key: 0, attachments: [], isCorrupted: true };
  const result: TnefContent = { key: data.readUInt16LE(4), attachments: [], isCorrupted: false };
  let current: TnefAttachment | undefined;
  let offset = 6;
  while (offset < data.length) {
    if (offset + ATTRIBUTE_HEAD > data.length) return corrupted(result);
    const level = data[offset]!;
    const id = data.readUInt32LE(offset + 1);
    const length = data.readUInt32LE(offset + 5);
    const start = offset + ATTRIBUTE_HEAD;
    if (level !== LEVEL_MESSAGE && level !== LEVEL_ATTACHMENT) return corrupted(result);
    const isTruncated = start + length + ATTRIBUTE_CHECKSUM > data.length;
    const value = data.subarray(start, Math.min(start + length, data.length));
    if (level === LEVEL_ATTACHMENT) {
      if (id === ATT_ATTACH_REND_DATA || current === undefined) {
        current = emptyAttachment();
        result.attachments.push(current);
      }
      if (!applyAttribute(current, id, value)) result.isCorrupted = true;
    }
    if (isTruncated) return corrupted(result);
    if (data.readUInt16LE(start + length) !== checksum(value)) result.isCorrupted = true;
    offset = start + length + ATTRIBUTE_CHECKSUM;
  }
  return result;
}

function corrupted(result: TnefContent): TnefContent {
  result.isCorrupted = true;
  return result;
}

function emptyAttachment(): TnefAttachment {
  return {
    title: undefined,
    longFileName: undefined,
    displayName: undefined,
    content: Buffer.alloc(0),
    isEmbeddedMessage: false,
  };
}

/** Computes the 16-bit sum of the attribute data bytes (MS-OXTNEF 2.1.3.2). */
function checksum(value: Buffer): number {
  let sum = 0;
  for (const byte of value) sum = (sum + byte) & 0xffff;
  return sum;
}

/** Stores one attachment attribute; false when its MAPI properties could not all be read. */
function applyAttribute(attachment: TnefAttachment, id: number, value: Buffer): boolean {
  if (id === ATT_ATTACH_TITLE) attachment.title = cString(value, 'latin1');
  else if (id === ATT_ATTACH_DATA) attachment.content = value;
  else if (id === ATT_ATTACHMENT) return applyMapiProperties(attachment, value);
  return true;
}

function cString(value: Buffer, encoding: 'latin1' | 'utf16le'): string | undefined {
  const text = value.toString(encoding).replace(/\0+$/, '');
  return text === '' ? undefined : text;
}

/** One MAPI property value with its tag. */
interface MapiValue {
  id: number;
  type: number;
  value: Buffer;
}

function applyMapiProperties(attachment: TnefAttachment, data: Buffer): boolean {
  const { values, isComplete } = readMapiProperties(data);
  for (const { id, type, value } of values) {
    const encoding = type === PT_UNICODE ? 'utf16le' : 'latin1';
    const isString = type === PT_STRING8 || type === PT_UNICODE;
    if (id === PR_ATTACH_LONG_FILENAME && isString)
      attachment.longFileName = cString(value, encoding);
    else if (id === PR_DISPLAY_NAME && isString) attachment.displayName = cString(value, encoding);
    else if (id === PR_ATTACH_DATA && type === PT_BINARY && attachment.content.length === 0)
      attachment.content = value;
    else if (id === PR_ATTACH_DATA && type === PT_OBJECT) applyObject(attachment, value);
  }
  return isComplete;
}

/** Stores PT_OBJECT data. An attached message is IID_IMessage, then a TNEF stream of its own. */
function applyObject(attachment: TnefAttachment, value: Buffer): void {
  const inner = value.subarray(Math.min(IID_LENGTH, value.length));
  if (isTnef(inner)) {
    attachment.content = inner;
    attachment.isEmbeddedMessage = true;
  } else if (attachment.content.length === 0) attachment.content = inner;
}

/** Sizes of fixed-length property types, padded to 4 bytes as TNEF stores them. */
const FIXED_SIZES: ReadonlyMap<number, number> = new Map([
  [0x0001, 4], // PT_NULL
  [0x0002, 4], // PT_I2
  [0x0003, 4], // PT_LONG
  [0x0004, 4], // PT_FLOAT
  [0x0005, 8], // PT_DOUBLE
  [0x0006, 8], // PT_CURRENCY
  [0x0007, 8], // PT_APPTIME
  [0x000a, 4], // PT_ERROR
  [0x000b, 4], // PT_BOOLEAN
  [0x0014, 8], // PT_I8
  [0x0040, 8], // PT_SYSTIME
  [0x0048, 16], // PT_CLSID
]);
const VARIABLE_TYPES: ReadonlySet<number> = new Set([PT_STRING8, PT_UNICODE, PT_BINARY, PT_OBJECT]);

/**
 * Reads a MAPI property list (MS-OXTNEF 2.1.3.4): a count, then per property its type, id,
 * a name for named properties (id 0x8000 and up) and its values. Stops at the first value
 * that does not fit or has an unknown type, with `isComplete` false.
 */
function readMapiProperties(data: Buffer): { values: MapiValue[]; isComplete: boolean } {
  const reader = new BoundedReader(data);
  const values: MapiValue[] = [];
  const count = reader.u32();
  if (count === undefined) return { values, isComplete: false };
  for (let index = 0; index < count; index++) {
    const type = reader.u16();
    const id = reader.u16();
    if (type === undefined || id === undefined) return { values, isComplete: false };
    if (id >= 0x8000 && !skipPropertyName(reader)) return { values, isComplete: false };
    const read = readValues(reader, type & ~MV_FLAG, (type & MV_FLAG) !== 0);
    if (read === undefined) return { values, isComplete: false };
    values.push(...read.map((value) => ({ id, type: type & ~MV_FLAG, value })));
  }
  return { values, isComplete: true };
}

/** Skips a named property's GUID, kind and either a numeric id or a UTF-16 name padded to 4. */
function skipPropertyName(reader: BoundedReader): boolean {
  if (reader.take(IID_LENGTH) === undefined) return false;
  const kind = reader.u32();
  if (kind === 0) return reader.u32() !== undefined;
  const length = reader.u32();
  return kind === 1 && length !== undefined && reader.take(padTo4(length)) !== undefined;
}

function readValues(reader: BoundedReader, type: number, isMulti: boolean): Buffer[] | undefined {
  const fixed = FIXED_SIZES.get(type);
  const isVariable = VARIABLE_TYPES.has(type);
  if (fixed === undefined && !isVariable) return undefined;
  const count = isMulti || isVariable ? reader.u32() : 1;
  // Each value takes at least 4 bytes, so a larger count cannot be honest.
  if (count === undefined || count > reader.remaining / 4) return undefined;
  const values: Buffer[] = [];
  for (let index = 0; index < count; index++) {
    const length = fixed ?? reader.u32();
    const value = length === undefined ? undefined : reader.take(padTo4(length));
    if (length === undefined || value === undefined) return undefined;
    values.push(value.subarray(0, length));
  }
  return values;
}

function padTo4(length: number): number {
  return length + ((4 - (length % 4)) % 4);
}

/** Little-endian reads that return undefined instead of reading past the end. */
class BoundedReader {
  private offset = 0;

  constructor(private readonly data: Buffer) {}

  get remaining(): number {
    return this.data.length - this.offset;
  }

  take(length: number): Buffer | undefined {
    if (length > this.remaining) return undefined;
    this.offset += length;
    return this.data.subarray(this.offset - length, this.offset);
  }

  u16(): number | undefined {
    return this.take(2)?.readUInt16LE(0);
  }

  u32(): number | undefined {
    return this.take(4)?.readUInt32LE(0);
  }
}
