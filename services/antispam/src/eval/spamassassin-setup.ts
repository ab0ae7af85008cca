import { execFile } from 'node:child_process';
import { chown, copyFile, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CorpusMessage } from './corpus.js';

const run = promisify(execFile);

/** Debian's site configuration; only its `.pre` files (which plugins load) are copied. */
const DEBIAN_SITE_DIR = '/etc/spamassassin';
/** Run as root, spamd serves requests as this user, so the work folder must be theirs. */
const UNPRIVILEGED_USER = 'nobody';

/** A private SpamAssassin setup: site configuration, Bayes database and home in one folder. */
export interface SpamAssassinWorkDir {
  root: string;
  siteDir: string;
  bayesDir: string;
  homeDir: string;
  /** Environment for SpamAssassin's tools, with HOME inside the folder. */
  env: NodeJS.ProcessEnv;
  /** User spamd runs as, when this process is root. */
  user: string | undefined;
}

/** Returns SpamAssassin's version, or undefined when `spamassassin` is not installed. */
export async function spamAssassinVersion(): Promise<string | undefined> {
  try {
    const { stdout } = await run('spamassassin', ['--version']);
    return /version (\S+)/i.exec(stdout)?.[1] ?? stdout.trim();
  } catch {
    return undefined;
  }
}

/**
 * Installs Debian's spamassassin and spamd packages when `spamassassin` is missing and this
 * process is root. Returns the version, or undefined with the reason logged.
 */
export async function ensureSpamAssassin(log: (line: string) => void): Promise<string | undefined> {
  const installed = await spamAssassinVersion();
  if (installed !== undefined) return installed;
  if (process.getuid?.() !== 0) {
    log('spamassassin is not installed; run: sudo apt-get install -y spamassassin spamd');
    return undefined;
  }
  log('installing spamassassin and spamd with apt-get');
  const options = {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    maxBuffer: 64 * 1024 * 1024,
  };
  const install = () => run('apt-get', ['install', '-y', 'spamassassin', 'spamd'], options);
  try {
    await install().catch(async () => {
      // A machine that never ran apt-get update has no package lists yet.
      await run('apt-get', ['update'], options);
      await install();
    });
  } catch (err) {
    log(`apt-get install spamassassin failed: ${(err as Error).message}`);
    return undefined;
  }
  return spamAssassinVersion();
}

/**
 * Site configuration of the run: Bayes on with its database in the work folder, no automatic
 * learning or reputation, no network tests, and the default threshold of 5.
 */
function localConfig(bayesDir: string): string {
  return [
    'use_bayes 1',
    'bayes_auto_learn 0',
    `bayes_path ${join(bayesDir, 'bayes')}`,
    'bayes_file_mode 0777',
    'use_auto_whitelist 0',
    'skip_rbl_checks 1',
    'dns_available no',
    'required_score 5',
    '',
  ].join('\n');
}

/** Creates the private folder with the site configuration and the training messages. */
export async function createWorkDir(train: readonly CorpusMessage[]): Promise<SpamAssassinWorkDir> {
  const root = await mkdtemp(join(tmpdir(), 'mailshield-spamassassin-'));
  const siteDir = join(root, 'site');
  const bayesDir = join(root, 'bayes');
  const homeDir = join(root, 'home');
  for (const dir of [siteDir, bayesDir, homeDir, join(root, 'ham'), join(root, 'spam')])
    await mkdir(dir, { recursive: true });
  for (const name of await readdir(DEBIAN_SITE_DIR)) {
    if (name.endsWith('.pre')) await copyFile(join(DEBIAN_SITE_DIR, name), join(siteDir, name));
  }
  await writeFile(join(siteDir, 'local.cf'), localConfig(bayesDir));
  for (const message of train)
    await writeFile(join(root, message.label, message.name), message.raw);
  const isRoot = process.getuid?.() === 0;
  return {
    root,
    siteDir,
    bayesDir,
    homeDir,
    env: { ...process.env, HOME: homeDir },
    user: isRoot ? UNPRIVILEGED_USER : undefined,
  };
}

/** Trains SpamAssassin's Bayes database with the training messages, with sa-learn. */
export async function learnWithSaLearn(dir: SpamAssassinWorkDir): Promise<void> {
  for (const label of ['spam', 'ham'] as const) {
    await run(
      'sa-learn',
      [
        '--local',
        `--siteconfigpath=${dir.siteDir}`,
        `--dbpath=${dir.bayesDir}`,
        `--${label}`,
        join(dir.root, label),
      ],
      { env: dir.env, maxBuffer: 64 * 1024 * 1024 },
    );
  }
  if (dir.user === undefined) return;
  // spamd's children read the database as the unprivileged user.
  const uid = Number((await run('id', ['-u', dir.user])).stdout.trim());
  const gid = Number((await run('id', ['-g', dir.user])).stdout.trim());
  for (const path of [dir.root, dir.bayesDir, dir.homeDir]) await chown(path, uid, gid);
  for (const name of await readdir(dir.bayesDir)) await chown(join(dir.bayesDir, name), uid, gid);
}
