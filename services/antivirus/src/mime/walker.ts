import { fieldValues, parseHeaderBlock, type HeaderBlock } from './header-block.js';
import { splitMultipart } from './multipart.js';
import { parseFieldValue, type ParsedFieldValue } from './params.js';
import { decodeTransfer } from './transfer-encoding.js';
import { findUuencodedFiles } from './uuencode.js';
import type { ByteRange, MimeNode, MimeTree, WalkOptions } from './types.js';

/** Default limit of multipart and message nesting. */
export const DEFAULT_MAX_DEPTH = 20;

interface WalkContext {
  maxDepth: number;
  maxParts: number;
  leaves: MimeNode[];
  isTooDeep: boolean;
  partCount: number;
}

/** Where an entity sits: its bytes, path and what a replacement of it must cut. */
interface EntitySpot {
  buf: Buffer;
  start: number;
  end: number;
  path: string;
  depth: number;
  /** True when `buf` is the raw message, so offsets are raw-message offsets. */
  isLocated: boolean;
  /** True for the top-level message and for messages embedded in message/rfc822 parts. */
  isMessageRoot: boolean;
  /** Replaceable range of the enclosing part, for entities that have none of their own. */
  enclosingReplaceable: ByteRange | undefined;
  isAlternativeReading: boolean;
  defaultType: string;
}

/**
 * Walks the MIME structure of a raw message. Every leaf gets its decoded content and, where
 * its bytes are in the raw message, its byte range. Multipart bodies without a usable
 * boundary and entities past the depth limit become opaque leaves, so no byte is left out
 * of the scan.
 */
export function walkMessage(raw: Buffer, options: WalkOptions = {}): MimeTree {
  const ctx: WalkContext = {
    maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
    maxParts: options.maxParts ?? Number.POSITIVE_INFINITY,
    leaves: [],
    isTooDeep: false,
    partCount: 0,
  };
  const root = walkEntity(ctx, {
    buf: raw,
    start: 0,
    end: raw.length,
    path: '',
    depth: 0,
    isLocated: true,
    isMessageRoot: true,
    enclosingReplaceable: undefined,
    isAlternativeReading: false,
    defaultType: 'text/plain',
  });
  const uuencoded = ctx.leaves.flatMap((leaf) =>
    leafMayHoldUuencode(leaf)
      ? findUuencodedFiles(leaf.content).map((file) => ({
          partPath: leaf.path,
          fileName: file.fileName,
          content: file.content,
          replaceableRange: leaf.replaceableRange,
        }))
      : [],
  );
  return {
    root,
    leaves: ctx.leaves,
    uuencoded,
    isTooDeep: ctx.isTooDeep,
    partCount: ctx.partCount,
    hasTooManyParts: ctx.partCount > ctx.maxParts,
  };
}

function leafMayHoldUuencode(leaf: MimeNode): boolean {
  return (
    leaf.contentType.startsWith('text/') &&
    /(^|\n)begin [0-7]{3,4} /.test(leaf.content.toString('latin1'))
  );
}

function walkEntity(ctx: WalkContext, spot: EntitySpot): MimeNode {
  const header = parseHeaderBlock(spot.buf, spot.start, spot.end);
  const readings = contentTypeReadings(header, spot.defaultType);
  const node = buildNode(ctx, spot, header, readings[0]!);
  for (const reading of readings.slice(1)) {
    node.alternatives.push(
      buildNode(ctx, { ...spot, isAlternativeReading: true }, header, reading),
    );
  }
  return node;
}

/** Each distinct Content-Type of the entity; the first one is the main reading. */
function contentTypeReadings(header: HeaderBlock, defaultType: string): ParsedFieldValue[] {
  const values = fieldValues(header, 'content-type').map(parseFieldValue);
  const readings: ParsedFieldValue[] = [];
  for (const value of values) {
    if (!/^[^/\s]+\/[^/\s]+$/.test(value.value)) continue;
    const key = `${value.value};${value.params.get('boundary') ?? ''}`;
    if (!readings.some((r) => `${r.value};${r.params.get('boundary') ?? ''}` === key))
      readings.push(value);
  }
  return readings.length > 0 ? readings : [{ value: defaultType, params: new Map() }];
}

function buildNode(
  ctx: WalkContext,
  spot: EntitySpot,
  header: HeaderBlock,
  type: ParsedFieldValue,
): MimeNode {
  const range = spot.isLocated ? { start: spot.start, end: spot.end } : undefined;
  const names = fileNamesOf(header, type);
  const isTopLevel = spot.path === '';
  const node: MimeNode = {
    path: spot.path,
    kind: 'leaf',
    contentType: type.value,
    fileName: names[0],
    fileNames: names,
    transferEncoding: (fieldValues(header, 'content-transfer-encoding')[0] ?? '7bit')
      .trim()
      .toLowerCase(),
    range,
    replaceableRange: spot.isMessageRoot || range === undefined ? spot.enclosingReplaceable : range,
    isAlternativeReading: spot.isAlternativeReading,
    children: [],
    alternatives: [],
    content: Buffer.alloc(0),
  };
  const body = { start: header.bodyStart, end: spot.end };
  const isNestable = type.value.startsWith('multipart/') || isEmbeddedMessage(type.value);
  if (isNestable && spot.depth >= ctx.maxDepth) ctx.isTooDeep = true;
  else if (type.value.startsWith('multipart/') && addMultipartChildren(ctx, spot, node, type, body))
    return node;
  else if (isEmbeddedMessage(type.value) && addEmbeddedMessage(ctx, spot, node, body)) return node;
  return finishLeaf(ctx, spot, node, body, isTopLevel);
}

function isEmbeddedMessage(type: string): boolean {
  return type === 'message/rfc822' || type === 'message/global';
}

/** Returns the Content-Disposition filename first, then a different Content-Type name. */
function fileNamesOf(header: HeaderBlock, type: ParsedFieldValue): string[] {
  const disposition = fieldValues(header, 'content-disposition')[0];
  const fromDisposition =
    disposition === undefined ? undefined : parseFieldValue(disposition).params.get('filename');
  const names = [fromDisposition, type.params.get('name')]
    .map((name) => name?.trim() ?? '')
    .filter((name) => name !== '');
  return [...new Set(names)];
}

function finishLeaf(
  ctx: WalkContext,
  spot: EntitySpot,
  node: MimeNode,
  body: ByteRange,
  isTopLevel: boolean,
): MimeNode {
  node.kind = 'leaf';
  // A single-part message is its own body part "1" (the IMAP numbering).
  if (isTopLevel) node.path = '1';
  else if (spot.isMessageRoot) node.path = `${spot.path}.1`;
  node.content = decodeTransfer(spot.buf.subarray(body.start, body.end), node.transferEncoding);
  ctx.leaves.push(node);
  return node;
}

function addMultipartChildren(
  ctx: WalkContext,
  spot: EntitySpot,
  node: MimeNode,
  type: ParsedFieldValue,
  body: ByteRange,
): boolean {
  const boundary = type.params.get('boundary');
  if (boundary === undefined || boundary === '') return false;
  const split = splitMultipart(spot.buf, body.start, body.end, boundary);
  if (split.parts.length === 0) return false;
  node.kind = 'multipart';
  const childDefault = type.value === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
  for (const [index, part] of split.parts.entries()) {
    // Past the limit the walk stops: the message is refused as over a limit, so the rest of
    // a part bomb is never built in memory.
    if (++ctx.partCount > ctx.maxParts) break;
    const childSpot: EntitySpot = {
      ...spot,
      ...part,
      path: spot.path === '' ? `${index + 1}` : `${spot.path}.${index + 1}`,
      depth: spot.depth + 1,
      isMessageRoot: false,
      enclosingReplaceable: node.replaceableRange,
      defaultType: childDefault,
    };
    node.children.push(walkEntity(ctx, childSpot));
  }
  addFringe(ctx, spot, split.preamble, 'preamble');
  addFringe(ctx, spot, split.epilogue, 'epilogue');
  return true;
}

/** Preamble and epilogue text is scanned too when it holds more than blanks. */
function addFringe(ctx: WalkContext, spot: EntitySpot, range: ByteRange, name: string): void {
  const content = spot.buf.subarray(range.start, range.end);
  if (content.toString('latin1').trim() === '') return;
  ctx.leaves.push({
    path: `${spot.path === '' ? '' : `${spot.path}.`}${name}`,
    kind: 'leaf',
    contentType: 'text/plain',
    fileName: undefined,
    fileNames: [],
    transferEncoding: '7bit',
    range: spot.isLocated ? range : undefined,
    replaceableRange: undefined,
    isAlternativeReading: spot.isAlternativeReading,
    children: [],
    alternatives: [],
    content,
  });
}

function addEmbeddedMessage(
  ctx: WalkContext,
  spot: EntitySpot,
  node: MimeNode,
  body: ByteRange,
): boolean {
  node.kind = 'message';
  const isIdentity = !['base64', 'quoted-printable', 'x-uuencode', 'uuencode', 'x-uue'].includes(
    node.transferEncoding,
  );
  const inner = isIdentity
    ? spot.buf
    : decodeTransfer(spot.buf.subarray(body.start, body.end), node.transferEncoding);
  node.children.push(
    walkEntity(ctx, {
      ...spot,
      buf: inner,
      start: isIdentity ? body.start : 0,
      end: isIdentity ? body.end : inner.length,
      isLocated: spot.isLocated && isIdentity,
      depth: spot.depth + 1,
      isMessageRoot: true,
      enclosingReplaceable: node.replaceableRange,
      defaultType: 'text/plain',
    }),
  );
  return true;
}
