import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { defaultScanLimits } from '@mailshield/common';
import { Direction, VirusAction, type AttachmentRule } from '@mailshield/proto/policy';
import { scanMessage, type MessageScan, type ScanSettings } from '../../scan/scan-message.js';
import { singleClamdPool } from '../fakes.js';
import { clamdAddress } from '../helpers.js';

/** Folder of the hard SMTP and MIME cases that lives beside the repository. */
const hardDir = resolve(
  process.env['MAILSHIELD_HARD_CORPUS_DIR'] ??
    join(import.meta.dirname, '../../../../../../shared/corpus/hard'),
);

const { address, skip } = clamdAddress();
const pool = address === undefined ? undefined : singleClamdPool(address);
after(() => pool?.close());

/** A rule that records which attachment names the scan saw, without changing the verdict. */
const namesRule: AttachmentRule = {
  name: 'names-seen',
  fileTypes: [],
  namePatterns: ['eicar.com', 'payment_details.exe', 'invoice.exe'],
  minBytes: 0,
  action: VirusAction.VIRUS_ACTION_SKIP,
  direction: Direction.DIRECTION_UNSPECIFIED,
};

const settings: ScanSettings = {
  timeoutSeconds: 10,
  limits: defaultScanLimits(),
  rules: [namesRule],
  isOutbound: false,
};

function scanCase(file: string): Promise<MessageScan> {
  const raw = readFileSync(join(hardDir, file));
  return scanMessage(raw, { scanner: pool!, store: undefined }, settings);
}

function isEicar(name: string): boolean {
  return name.startsWith('Eicar-Test-Signature');
}

/** Labels of the objects on which the names rule fired, such as "2 (payment_details.exe)". */
function namedObjects(scan: MessageScan): string[] {
  return scan.findings.filter((f) => f.name === 'Blocked.names-seen').map((f) => f.object);
}

/** The cases about MIME structure or malware content, each of which must end infected. */
const infectedCases = [
  '10-eicar-inline-body.eml',
  '11-dup-content-type.eml',
  '13-rfc2231-boundary-continuation.eml',
  '15-encoded-word-split-filename.eml',
  '17-unindented-ct-param.eml',
  '18-missing-final-boundary.eml',
  '19-boundary-substring-nested.eml',
  '23-uuencode-in-body.eml',
  '25-tnef-winmail.eml',
  '26-rfc822-base64-noname.eml',
  '29-qp-soft-break-eicar.eml',
  '32-no-disposition-no-filename.eml',
  '38-nested-zip-misnamed.eml',
];

for (const file of infectedCases) {
  test(`hard case ${file.slice(0, 2)} is infected`, { skip }, async () => {
    const scan = await scanCase(file);
    assert.equal(scan.status, 'infected', JSON.stringify(scan.findings));
    assert.ok(scan.findings.some((finding) => isEicar(finding.name)));
  });
}

test('hard case 15 shows the decoded file name', { skip }, async () => {
  const scan = await scanCase('15-encoded-word-split-filename.eml');
  assert.ok(
    namedObjects(scan).some((label) => label.endsWith('(payment_details.exe)')),
    JSON.stringify(scan.findings),
  );
});

test('hard case 19 finds the part after the inner close', { skip }, async () => {
  const scan = await scanCase('19-boundary-substring-nested.eml');
  const infectedParts = scan.objects.filter(
    (result) => result.object.kind === 'part' && result.verdict.status === 'infected',
  );
  assert.equal(infectedParts.length, 1, JSON.stringify(scan.findings));
  assert.equal(infectedParts[0]!.object.path.split('.').length, 1);
});

test('hard case 23 names the uuencoded file', { skip }, async () => {
  const scan = await scanCase('23-uuencode-in-body.eml');
  assert.ok(namedObjects(scan).some((label) => label.includes('uuencoded (eicar.com)')));
});

test('hard case 25 unpacks the TNEF attachment', { skip }, async () => {
  const scan = await scanCase('25-tnef-winmail.eml');
  assert.ok(
    scan.findings.some((f) => f.object.includes('extracted (eicar.com)') && isEicar(f.name)),
    JSON.stringify(scan.findings),
  );
  assert.ok(namedObjects(scan).some((label) => label.endsWith('(winmail.dat)')));
});

test('hard case 38 sees the name inside the archives', { skip }, async () => {
  const scan = await scanCase('38-nested-zip-misnamed.eml');
  const part = scan.objects.find((result) => result.object.fileName === 'scan0001.dat');
  assert.equal(part?.fileType, 'zip');
  assert.equal(part?.rule?.name, 'names-seen');
});
