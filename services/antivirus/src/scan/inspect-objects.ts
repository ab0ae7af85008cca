import type { AttachmentRule, ScanLimits } from '@mailshield/proto/policy';
import { matchAttachmentRule } from '../action/attachment-rules.js';
import { detectType } from '../content/file-type.js';
import { inspectObject, type Inspection } from '../content/inspect.js';
import { AvReason } from '../errors.js';
import type { EngineVerdict } from '../engine/verdict.js';
import { limitVerdict } from './message-limits.js';
import type { ScanObject } from './scan-objects.js';

/** Results of the project's own inspection of one object, made before clamd scans it. */
export interface OwnFindings {
  /** Detected type of the object's content; undefined for the raw message. */
  fileType: string | undefined;
  /** Protected, corrupted or over an archive limit; undefined when inspection found nothing. */
  verdict: EngineVerdict | undefined;
  /** True when clamd must not see the object, because it is over an archive limit. */
  isWithheld: boolean;
  /** The first attachment rule that matches the object or a file inside it. */
  rule: AttachmentRule | undefined;
}

export interface InspectionSettings {
  limits: ScanLimits;
  rules: readonly AttachmentRule[];
  isOutbound: boolean;
}

/**
 * Inspects each part: its real type, the files inside its archives, archive limits and
 * encryption, and the attachment rules. Files unpacked from TNEF come back as further objects,
 * for clamd to scan one by one.
 */
export function inspectObjects(
  objects: ScanObject[],
  settings: InspectionSettings,
): { objects: ScanObject[]; findings: OwnFindings[] } {
  const all: ScanObject[] = [];
  const findings: OwnFindings[] = [];
  const queue = [...objects];
  for (let object = queue.shift(); object !== undefined; object = queue.shift()) {
    all.push(object);
    if (object.kind === 'message') {
      findings.push({
        fileType: undefined,
        verdict: undefined,
        isWithheld: false,
        rule: undefined,
      });
      continue;
    }
    // The inspection of the TNEF part already listed this file and its contents and applied the
    // rules and limits to them. The file is here only for its clamd scan.
    if (object.kind === 'extracted') {
      const fileType = detectType(object.content).id;
      findings.push({ fileType, verdict: undefined, isWithheld: false, rule: undefined });
      continue;
    }
    const inspection = inspectObject(object.content, object.fileName, {
      maxArchiveDepth: settings.limits.maxArchiveDepth,
      maxExpandedBytes: settings.limits.maxExpandedBytes,
      maxMemberBytes: settings.limits.maxMemberBytes,
      maxCompressionRatio: settings.limits.maxCompressionRatio,
      maxEntries: settings.limits.maxArchiveEntries,
    });
    findings.push(ownFindings(object, inspection, settings));
    queue.push(...inspection.extracted.map((file) => extractedObject(object, file)));
  }
  return { objects: all, findings };
}

function ownFindings(
  object: ScanObject,
  inspection: Inspection,
  settings: InspectionSettings,
): OwnFindings {
  const names = [...object.fileNames, ...inspection.entries.map((entry) => entry.path)];
  const types = [inspection.type.id, ...inspection.entries.map((entry) => entry.type.id)];
  const rule = matchAttachmentRule(settings.rules, settings.isOutbound, {
    size: object.content.length,
    names,
    types,
  });
  const base = { fileType: inspection.type.id, rule };
  if (inspection.limitBreaches.length > 0) {
    const details = inspection.limitBreaches.map((item) => item.detail).join('; ');
    const isUnsupportedOnly = inspection.limitBreaches.every(
      (item) => item.reason === 'unsupported-compression',
    );
    const reason = isUnsupportedOnly ? AvReason.unsupportedContent : AvReason.archiveLimit;
    return { ...base, verdict: limitVerdict(reason, details), isWithheld: true };
  }
  if (inspection.isProtected) {
    const verdict: EngineVerdict = {
      status: 'protected',
      names: ['Mailshield.Encrypted.Archive'],
      reason: undefined,
      detail: 'an archive member is encrypted',
    };
    return { ...base, verdict, isWithheld: false };
  }
  if (inspection.isCorrupted) {
    const verdict: EngineVerdict = {
      status: 'corrupted',
      names: [`Mailshield.Corrupted.${inspection.type.id}`],
      reason: undefined,
      detail: `the ${inspection.type.id} content cannot be read`,
    };
    return { ...base, verdict, isWithheld: false };
  }
  return { ...base, verdict: undefined, isWithheld: false };
}

/**
 * Builds the scan object of a file unpacked from a TNEF part. Replacing it means replacing
 * the TNEF part, so it takes the byte range of the part it came from.
 */
function extractedObject(parent: ScanObject, file: { name: string; content: Buffer }): ScanObject {
  return {
    kind: 'extracted',
    path: parent.path,
    fileName: file.name,
    fileNames: [file.name],
    content: file.content,
    replaceableRange: parent.replaceableRange,
    isAlternativeReading: parent.isAlternativeReading,
  };
}
