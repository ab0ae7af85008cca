import { parseTnef, tnefAttachmentName } from '../mime/tnef.js';
import { expandGzip, peekGzip, readGzipHeader, type GzipHeader } from './gzip.js';
import type { ExpansionCap, InspectionState } from './inspection-state.js';
import { RATIO_EXEMPT_BYTES } from './limits.js';
import { listTar } from './tar.js';
import type { InnerFileStatus } from './types.js';

/** One member of a container, as an opener yields it. */
export interface Member {
  name: string;
  /** The whole content, when it was read in full. */
  content: Buffer | undefined;
  /** The first bytes, for the type of a member that was not read in full. */
  head: Buffer | undefined;
  size: number;
  status: InnerFileStatus;
  isEncrypted: boolean;
  /** True for a TNEF attachment that is a file (not an attached message). */
  isAttachment: boolean;
}

/** A container being opened: its bytes, own name and path. */
export interface ContainerNode {
  content: Buffer;
  name: string;
  path: string;
}

/** Yields the members of one container, one at a time, so only one is in memory. */
export type Opener = (state: InspectionState, node: ContainerNode) => Iterable<Member>;

/** Creates a member known only by its headers so far. */
export function declaredMember(name: string, size: number): Member {
  return {
    name,
    content: undefined,
    head: undefined,
    size,
    status: 'over-limit',
    isEncrypted: false,
    isAttachment: false,
  };
}

/** Joins a container path and a member name; the object itself may have no name. */
export function joinPath(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`;
}

/** Reads the first bytes of a member when enough budget is left, and counts them as spent. */
export function peek(state: InspectionState, read: () => Buffer): Buffer | undefined {
  if (state.expansionLeft() < RATIO_EXEMPT_BYTES) return undefined;
  const head = read();
  state.spend(head.length);
  return head;
}

/** Records the breach of a declared size found before expanding. */
export function breachDeclared(
  state: InspectionState,
  cap: ExpansionCap,
  path: string,
  sizes: { declared: number; compressed: number },
): void {
  const detail = `${path}: ${sizes.declared} bytes declared, ${sizes.compressed} compressed`;
  state.breach(cap.reason, detail);
}

/** Records the breach of an expansion stopped at `cap`. */
export function breachExpanded(
  state: InspectionState,
  cap: ExpansionCap,
  path: string,
  compressed: number,
): void {
  if (cap.reason === 'expansion-too-large' && cap.maxBytes === 0)
    state.breach(
      cap.reason,
      `${path}: expansion budget of ${state.limits.maxExpandedBytes} bytes spent`,
    );
  else
    state.breach(
      cap.reason,
      `${path}: more than ${cap.maxBytes} bytes from ${compressed} compressed`,
    );
}

/** Yields the decompressed content of a gzip file, named by its FNAME field or the outer name. */
export function* gzipMembers(state: InspectionState, node: ContainerNode): Iterable<Member> {
  const header = readGzipHeader(node.content);
  if (header === undefined) {
    state.isCorrupted = true;
    return;
  }
  yield gzipMember(state, node, header);
}

function gzipMember(state: InspectionState, node: ContainerNode, header: GzipHeader): Member {
  const name = header.fileName ?? gzipContentName(node.name);
  const path = joinPath(node.path, name);
  const compressed = node.content.length - header.dataOffset;
  const declared = declaredMember(name, header.declaredSize);
  const readHead = (): Buffer | undefined => peek(state, () => peekGzip(node.content));
  // ISIZE is only a hint, but a large one fails early, like a zip's declared size.
  const early = state.declaredBreach(header.declaredSize, compressed);
  if (early !== undefined) {
    breachDeclared(state, early, path, { declared: header.declaredSize, compressed });
    return { ...declared, head: readHead() };
  }
  const cap = state.capFor(compressed);
  if (cap.maxBytes === 0) {
    breachExpanded(state, cap, path, compressed);
    return { ...declared, status: 'skipped' };
  }
  const result = expandGzip(node.content, cap.maxBytes);
  if (result.status === 'complete') {
    state.spend(result.content.length);
    const { content } = result;
    return { ...declared, content, size: content.length, status: 'inspected' };
  }
  if (result.status === 'over-limit') {
    state.spend(cap.maxBytes);
    breachExpanded(state, cap, path, compressed);
    return { ...declared, head: readHead() };
  }
  state.isCorrupted = true;
  return { ...declared, status: 'corrupted', head: readHead() };
}

/** Names the content of "logs.tar.gz" or "logs.tgz" "logs.tar", and keeps other names. */
function gzipContentName(outer: string): string {
  const base = outer.replace(/^.*[/\\]/, '');
  if (/\.tgz$/i.test(base)) return base.replace(/\.tgz$/i, '.tar');
  const stripped = base.replace(/\.(gz|gzip)$/i, '');
  return stripped === '' ? 'content' : stripped;
}

/** Yields the regular files of a tar archive as slices of the archive, not copies. */
export function* tarMembers(state: InspectionState, node: ContainerNode): Iterable<Member> {
  const listing = listTar(node.content, state.entriesLeft() + 1);
  if (listing.isCorrupted) state.isCorrupted = true;
  if (listing.isTruncated) state.noteTooManyEntries(node.path);
  for (const entry of listing.entries) {
    const content = node.content.subarray(entry.dataOffset, entry.dataOffset + entry.size);
    yield { ...declaredMember(entry.name, entry.size), content, status: 'inspected' };
  }
}

/** Yields the attachments of a TNEF stream. An attached message is a TNEF member of its own. */
export function* tnefMembers(state: InspectionState, node: ContainerNode): Iterable<Member> {
  const tnef = parseTnef(node.content);
  if (tnef.isCorrupted) state.isCorrupted = true;
  for (const [index, attachment] of tnef.attachments.entries()) {
    const name = tnefAttachmentName(attachment) ?? `attachment-${index + 1}`;
    const { content } = attachment;
    yield {
      ...declaredMember(name, content.length),
      content,
      status: 'inspected',
      isAttachment: !attachment.isEmbeddedMessage,
    };
  }
}
