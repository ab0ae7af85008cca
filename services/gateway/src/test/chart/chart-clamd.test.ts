import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startClamd, type ClamdProcess } from '@mailshield/antivirus/dist/test/helpers.js';
import { find, minimalValues, render } from './helm.js';
import { waitFor } from '../harness/pipeline.js';

/** Options that startClamd sets itself, for a free port and the test signatures. */
const setByHelper = new Set([
  'Foreground',
  'TCPSocket',
  'TCPAddr',
  'DatabaseDirectory',
  'LogFile',
  'LogTime',
  'ScanMail',
  'ScanArchive',
  'AlertEncrypted',
  'AlertExceedsMax',
]);

describe('clamd.conf of the chart', { timeout: 120_000 }, () => {
  const rendered = find(render([minimalValues]), 'ConfigMap', 'mail-mailshield-clamav').data[
    'clamd.conf'
  ] as string;
  let clamd: ClamdProcess;

  before(async () => {
    const lines = rendered
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'))
      .filter((line) => !setByHelper.has(line.split(' ')[0]!));
    clamd = await startClamd(lines);
  });

  after(async () => {
    await clamd.stop();
  });

  test('starts clamd', async () => {
    assert.match(await clamd.command('VERSION'), /^ClamAV /);
  });

  test('applies the size limits', async () => {
    const logFile = join(clamd.dir, 'clamd.log');
    let log = '';
    await waitFor(
      async () => {
        log = await readFile(logFile, 'utf8').catch(() => '');
        return log.includes('File size limit');
      },
      30_000,
      100,
    );
    assert.match(log, /File size limit set to 104857600 bytes/);
    assert.match(log, /Global size limit set to 419430400 bytes/);
    assert.match(log, /Recursion level limit set to 16/);
  });
});
