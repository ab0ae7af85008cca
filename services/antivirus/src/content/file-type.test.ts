import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { buildTar, buildTnef, buildZip, EICAR } from '../test/helpers.js';
import { detectType, fileCategories, type FileTypeId } from './file-type.js';

function bytes(hex: string, size = 64): Buffer {
  const head = Buffer.from(hex.replace(/ /g, ''), 'hex');
  return Buffer.concat([head, Buffer.alloc(Math.max(0, size - head.length))]);
}

function text(value: string, size = 0): Buffer {
  const head = Buffer.from(value, 'latin1');
  return Buffer.concat([head, Buffer.alloc(Math.max(0, size - head.length))]);
}

/** Builds an MZ stub with a PE header at 0x80 and the given COFF characteristics. */
function portableExecutable(characteristics: number): Buffer {
  const image = Buffer.alloc(0x200);
  image.write('MZ', 0, 'latin1');
  image.writeUInt32LE(0x80, 0x3c);
  image.write('PE\0\0', 0x80, 'latin1');
  image.writeUInt16LE(0x14c, 0x84);
  image.writeUInt16LE(characteristics, 0x80 + 22);
  return image;
}

function dosProgram(): Buffer {
  const image = Buffer.alloc(0x40);
  image.write('MZ', 0, 'latin1');
  image.writeUInt16LE(0x90, 2);
  image.writeUInt16LE(3, 4);
  image.writeUInt16LE(4, 8);
  image.writeUInt32LE(0x10000, 0x3c);
  return image;
}

/** Builds an OLE2 header and a directory sector: a root entry with `clsid`, then `streamName`. */
function compoundFile(clsid: Buffer, streamName = ''): Buffer {
  const file = Buffer.alloc(1024);
  bytes('d0 cf 11 e0 a1 b1 1a e1', 8).copy(file, 0);
  file.writeUInt16LE(9, 0x1e);
  file.writeUInt32LE(0, 0x30);
  const root = 512;
  file.write('Root Entry', root, 'utf16le');
  file.writeUInt16LE(22, root + 0x40);
  clsid.copy(file, root + 0x50);
  if (streamName !== '') {
    file.write(streamName, root + 128, 'utf16le');
    file.writeUInt16LE((streamName.length + 1) * 2, root + 128 + 0x40);
  }
  return file;
}

function zipOf(...names: string[]): Buffer {
  return buildZip(names.map((name) => ({ name, content: Buffer.from(`content of ${name}`) })));
}

function openDocument(mimetype: string): Buffer {
  return buildZip([
    { name: 'mimetype', method: 0, content: Buffer.from(mimetype) },
    { name: 'content.xml', content: Buffer.from('<office:document-content/>') },
  ]);
}

/** Builds a pre-POSIX tar archive: no "ustar" magic, only a valid checksum. */
function v7Tar(): Buffer {
  const tar = buildTar([{ name: 'notes.txt', content: Buffer.from('hello') }]);
  tar.fill(0, 257, 265);
  tar.write('        ', 148, 'latin1');
  const sum = tar.subarray(0, 512).reduce((total, byte) => total + byte, 0);
  tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return tar;
}

function iso9660(): Buffer {
  const image = Buffer.alloc(0x8800);
  image.write('\x01CD001\x01', 0x8000, 'latin1');
  return image;
}

function guid(hex: string): Buffer {
  return Buffer.from(hex, 'hex');
}

const cases: [string, Buffer, FileTypeId][] = [
  ['PE executable', portableExecutable(0x0102), 'exe'],
  ['PE DLL', portableExecutable(0x2102), 'dll'],
  ['DOS program', dosProgram(), 'exe'],
  ['text starting with MZ', text('MZ is a postal code prefix in this text.\n'), 'text'],
  ['ELF', bytes('7f 45 4c 46 02 01 01'), 'elf'],
  ['Mach-O 64', bytes('cf fa ed fe 07 00 00 01'), 'macho'],
  ['Mach-O universal', bytes('ca fe ba be 00 00 00 02'), 'macho'],
  ['Java class', bytes('ca fe ba be 00 00 00 34'), 'class'],
  ['zip', zipOf('readme.txt'), 'zip'],
  ['zip after a prefix', Buffer.concat([text('stub bytes'), zipOf('a.txt')]), 'zip'],
  ['docx', zipOf('[Content_Types].xml', 'word/document.xml'), 'docx'],
  ['docm', zipOf('[Content_Types].xml', 'word/document.xml', 'word/vbaProject.bin'), 'docm'],
  ['xlsx', zipOf('[Content_Types].xml', 'xl/workbook.xml'), 'xlsx'],
  ['pptx', zipOf('[Content_Types].xml', 'ppt/presentation.xml'), 'pptx'],
  ['other OOXML', zipOf('[Content_Types].xml', 'visio/document.xml'), 'ooxml'],
  ['jar by manifest', zipOf('META-INF/MANIFEST.MF', 'app.properties'), 'jar'],
  ['jar by class', zipOf('com/example/Main.class'), 'jar'],
  ['apk', zipOf('AndroidManifest.xml', 'classes.dex', 'META-INF/MANIFEST.MF'), 'apk'],
  ['odf', openDocument('application/vnd.oasis.opendocument.text'), 'odf'],
  ['epub', openDocument('application/epub+zip'), 'epub'],
  ['RAR 4', text('Rar!\x1a\x07\x00', 32), 'rar'],
  ['RAR 5', text('Rar!\x1a\x07\x01\x00', 32), 'rar'],
  ['7z', bytes('37 7a bc af 27 1c 00 04'), '7z'],
  ['gzip', gzipSync(Buffer.from('hello')), 'gzip'],
  ['bzip2', text('BZh91AY&SY', 32), 'bzip2'],
  ['xz', bytes('fd 37 7a 58 5a 00 00 04'), 'xz'],
  ['zstd', bytes('28 b5 2f fd 24 05'), 'zstd'],
  ['cab', text('MSCF\0\0\0\0', 64), 'cab'],
  ['arj', bytes('60 ea 26 00 1e 06 01 00'), 'arj'],
  ['ustar', buildTar([{ name: 'a.txt', content: Buffer.from('a') }]), 'tar'],
  ['pre-POSIX tar', v7Tar(), 'tar'],
  ['ISO 9660', iso9660(), 'iso9660'],
  ['OLE2', compoundFile(Buffer.alloc(16)), 'ole2'],
  ['MSI', compoundFile(guid('84100c0000000000c000000000000046')), 'msi'],
  ['Word 97 by CLSID', compoundFile(guid('0609020000000000c000000000000046')), 'doc'],
  ['Excel 97 by stream', compoundFile(Buffer.alloc(16), 'Workbook'), 'xls'],
  ['TNEF', buildTnef([{ title: 'a.txt', content: Buffer.from('a') }]), 'tnef'],
  ['PDF', text('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n'), 'pdf'],
  ['PDF after junk', text(`${'x'.repeat(300)}\n%PDF-1.4\n`), 'pdf'],
  ['RTF', text('{\\rtf1\\ansi hello}'), 'rtf'],
  ['HTML', text('\xef\xbb\xbf  \r\n<!DOCTYPE html><html><body>hi</body></html>'), 'html'],
  ['HTML body', text('<BODY onload="x()">'), 'html'],
  ['shell script', text('#!/bin/sh\necho hi\n'), 'script'],
  ['env script', text('#! /usr/bin/env python3\n'), 'script'],
  ['shell link', bytes('4c 00 00 00 01 14 02 00 00 00 00 00 c0 00 00 00 00 00 00 46 9b 00'), 'lnk'],
  ['PNG', bytes('89 50 4e 47 0d 0a 1a 0a 00 00 00 0d 49 48 44 52'), 'png'],
  ['JPEG', bytes('ff d8 ff e0 00 10 4a 46 49 46'), 'jpeg'],
  ['GIF', text('GIF89a\x01\x00\x01\x00', 32), 'gif'],
  ['EICAR as text', text(EICAR), 'text'],
  ['UTF-16 text', Buffer.from('\ufeffhello', 'utf16le'), 'text'],
  ['empty content', Buffer.alloc(0), 'empty'],
  ['binary noise', bytes('00 01 02 03 04 05 06 07 08 09 0a 0b 0c'), 'unknown'],
];

for (const [label, content, id] of cases) {
  test(`detectType recognises ${label}`, () => {
    assert.equal(detectType(content).id, id);
  });
}

test('detectType gives the category of the id', () => {
  assert.deepEqual(detectType(portableExecutable(0x0102)), { id: 'exe', category: 'executable' });
  assert.equal(detectType(zipOf('a.txt')).category, 'archive');
  assert.equal(detectType(text('%PDF-1.7')).category, 'document');
  assert.equal(detectType(text('#!/bin/sh')).category, 'script');
  assert.equal(detectType(bytes('ff d8 ff e0')).category, 'image');
  assert.equal(detectType(text('hello')).category, 'text');
  assert.equal(detectType(bytes('00 01 02')).category, 'unknown');
});

test('fileCategories lists every category', () => {
  const categories = new Set(Object.values(fileCategories));
  for (const category of [
    'executable',
    'archive',
    'document',
    'image',
    'script',
    'text',
    'unknown',
  ])
    assert.ok(categories.has(category as never), category);
});

test('detectType ignores a truncated zip magic', () => {
  assert.equal(detectType(text('PK\x03')).id, 'unknown');
});
