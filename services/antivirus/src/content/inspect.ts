import { detectType, typeOf, type DetectedType, type FileTypeId } from './file-type.js';
import { InspectionState } from './inspection-state.js';
import { resolveInspectLimits, type InspectLimits } from './limits.js';
import {
  gzipMembers,
  joinPath,
  tarMembers,
  tnefMembers,
  type ContainerNode,
  type Member,
  type Opener,
} from './members.js';
import { zipMembers } from './zip-members.js';
import type { Inspection } from './types.js';

/** Containers this module opens, by detected type. The other archive types stay opaque. */
const OPENERS: Partial<Record<FileTypeId, Opener>> = {
  zip: zipMembers,
  jar: zipMembers,
  apk: zipMembers,
  docx: zipMembers,
  docm: zipMembers,
  xlsx: zipMembers,
  xlsm: zipMembers,
  pptx: zipMembers,
  pptm: zipMembers,
  ooxml: zipMembers,
  odf: zipMembers,
  epub: zipMembers,
  gzip: gzipMembers,
  tar: tarMembers,
  tnef: tnefMembers,
};

/** A container in the recursion. */
interface Level extends ContainerNode {
  type: DetectedType;
  depth: number;
  /** True for the object and for TNEF streams reached from it through TNEF streams only. */
  isExtractionRoot: boolean;
}

/**
 * Inspects one scan object: detects its real type from content and lists the members of
 * archives (zip and zip-based formats, gzip, tar) and TNEF streams inside it, recursively,
 * whatever their names. Work and memory stay within `limits`: expansion stops at the
 * member, ratio and total limits whatever sizes headers declare, and archives past the
 * depth limit are not opened. Every limit reached is listed in `limitBreaches`. TNEF
 * attachments of the object come back in `extracted`, archive members never do. Throws only
 * a RangeError for an invalid limit.
 *
 * NOTE: rar, 7z, cab, arj, bzip2, xz and iso9660 content is not opened here, so names
 * inside them are not listed and their expansion is bounded only by clamd's own limits. zstd
 * content, which clamd does not open either, is a breach.
 */
export function inspectObject(
  content: Buffer,
  name: string | undefined,
  limits: Partial<InspectLimits> = {},
): Inspection {
  const state = new InspectionState(resolveInspectLimits(limits));
  const type = detectType(content);
  const root: Level = {
    content,
    name: name ?? '',
    path: name ?? '',
    type,
    depth: 0,
    isExtractionRoot: true,
  };
  inspectLevel(state, root);
  return {
    type,
    entries: state.entries,
    isProtected: state.isProtected,
    isCorrupted: state.isCorrupted,
    limitBreaches: state.limitBreaches(),
    extracted: state.extracted,
  };
}

function inspectLevel(state: InspectionState, level: Level): void {
  if (level.type.id === 'zstd') {
    // clamd 1.4.6 returns OK for zstd content without reading into it, and Node 20 has no zstd.
    const where = level.path === '' ? 'the object' : level.path;
    state.breach(
      'unsupported-compression',
      `${where}: zstd is unpacked by neither the gateway nor clamd`,
    );
    return;
  }
  const open = OPENERS[level.type.id];
  if (open === undefined) return;
  if (level.depth >= state.limits.maxArchiveDepth) {
    const where = level.path === '' ? 'the object' : level.path;
    state.breach(
      'archive-too-deep',
      `${where}: ${level.type.id} at depth ${level.depth} not opened`,
    );
    return;
  }
  for (const member of open(state, level)) {
    if (state.isFull(level.path)) return;
    addMember(state, level, member);
  }
}

function addMember(state: InspectionState, parent: Level, member: Member): void {
  const path = joinPath(parent.path, member.name);
  const type = memberType(member);
  // A gzip stream only compresses the one file it holds, so a .tar.gz counts as one level,
  // as users see it. A gzip inside a gzip still adds a level, which bounds gzip quines.
  const isCompressedFile = parent.type.id === 'gzip' && type.id !== 'gzip';
  const depth = isCompressedFile ? parent.depth : parent.depth + 1;
  state.entries.push({
    path,
    name: member.name,
    type,
    size: member.size,
    depth,
    isEncrypted: member.isEncrypted,
    status: member.status,
  });
  const { content } = member;
  if (content === undefined) return;
  // Slices of tar and TNEF data are not capped by expansion; clamd would cut them short too.
  if (content.length > state.limits.maxMemberBytes)
    state.breach('member-too-large', `${path}: ${content.length} bytes`);
  const isTnefChild = parent.isExtractionRoot && parent.type.id === 'tnef';
  if (isTnefChild && member.isAttachment && content.length > 0)
    state.extracted.push({ name: member.name, path, content });
  inspectLevel(state, {
    content,
    name: member.name,
    path,
    type,
    depth,
    isExtractionRoot: isTnefChild && type.id === 'tnef',
  });
}

function memberType(member: Member): DetectedType {
  if (member.content !== undefined) return detectType(member.content);
  if (member.head !== undefined && member.head.length > 0) return detectType(member.head);
  return typeOf('unknown');
}

export type { DetectedType, FileCategory, FileTypeId } from './file-type.js';
export type { InspectLimits } from './limits.js';
export type {
  BreachReason,
  ExtractedFile,
  InnerFile,
  InnerFileStatus,
  Inspection,
  LimitBreach,
} from './types.js';
