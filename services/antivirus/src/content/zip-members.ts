import type { ExpansionCap, InspectionState } from './inspection-state.js';
import {
  breachDeclared,
  breachExpanded,
  declaredMember,
  joinPath,
  peek,
  type ContainerNode,
  type Member,
} from './members.js';
import { listZip, type ZipEntry } from './zip.js';
import { expandZipEntry, peekZipEntry } from './zip-expand.js';

const STORED = 0;
const EXPANDABLE_METHODS: ReadonlySet<number> = new Set([STORED, 8]);
/**
 * Implode (6), deflate64 (9) and bzip2 (12), which clamd 1.4.6 unpacks in zip members (the
 * clamav-testfiles clam.impl.zip and clam.d64.zip are found). It passed LZMA (14) and XZ (95)
 * as clean.
 */
const CLAMD_EXPANDABLE_METHODS: ReadonlySet<number> = new Set([6, 9, 12]);

/** Yields the members of a zip archive or a zip-based format, without directories. */
export function* zipMembers(state: InspectionState, node: ContainerNode): Iterable<Member> {
  const listing = listZip(node.content, { maxEntries: state.entriesLeft() + 1 });
  if (listing.isCorrupted) state.isCorrupted = true;
  if (listing.isTruncated) state.noteTooManyEntries(node.path);
  for (const entry of listing.entries) {
    if (!entry.isDirectory) yield zipMember(state, node, entry);
  }
}

function zipMember(state: InspectionState, node: ContainerNode, entry: ZipEntry): Member {
  const path = joinPath(node.path, entry.name);
  const declared = {
    ...declaredMember(entry.name, entry.declaredSize),
    isEncrypted: entry.isEncrypted,
  };
  if (entry.isEncrypted) {
    state.isProtected = true;
    return { ...declared, status: 'protected' };
  }
  const early = entry.hasUnknownSizes
    ? undefined
    : state.declaredBreach(entry.declaredSize, entry.compressedSize);
  if (early !== undefined) {
    const sizes = { declared: entry.declaredSize, compressed: entry.compressedSize };
    breachDeclared(state, early, path, sizes);
    return { ...declared, head: peek(state, () => peekZipEntry(node.content, entry)) };
  }
  // A member that clamd unpacks is left to it, bounded here only by its declared size.
  // Other methods are unpacked by neither, so their content cannot be judged at all.
  if (!EXPANDABLE_METHODS.has(entry.method)) {
    if (!CLAMD_EXPANDABLE_METHODS.has(entry.method)) {
      state.breach(
        'unsupported-compression',
        `${path}: compression method ${entry.method} is unpacked by neither the gateway nor clamd`,
      );
    }
    return { ...declared, status: 'unexpanded' };
  }
  return expandMember(state, node, entry, declared);
}

function expandMember(
  state: InspectionState,
  node: ContainerNode,
  entry: ZipEntry,
  declared: Member,
): Member {
  const path = joinPath(node.path, entry.name);
  const isStored = entry.method === STORED;
  // Stored data costs no decompression, so only the member size bounds it.
  const cap: ExpansionCap = isStored
    ? { maxBytes: state.limits.maxMemberBytes, reason: 'member-too-large' }
    : state.capFor(entry.compressedSize);
  if (cap.maxBytes === 0) {
    breachExpanded(state, cap, path, entry.compressedSize);
    return { ...declared, status: 'skipped' };
  }
  const readHead = (): Buffer | undefined => peek(state, () => peekZipEntry(node.content, entry));
  const result = expandZipEntry(node.content, entry, cap.maxBytes);
  switch (result.status) {
    case 'expanded':
      if (!isStored) state.spend(result.content.length);
      return {
        ...declared,
        content: result.content,
        size: result.content.length,
        status: 'inspected',
      };
    case 'over-limit':
      if (!isStored) state.spend(cap.maxBytes);
      breachExpanded(state, cap, path, entry.compressedSize);
      return { ...declared, head: readHead() };
    case 'corrupted':
      state.isCorrupted = true;
      return { ...declared, status: 'corrupted', head: readHead() };
    default:
      return { ...declared, status: result.status };
  }
}
