/**
 * Scores every file of a labelled corpus (a folder with ham/ and spam/ subfolders) with the
 * default checks and the default policy, and prints the false-positive rate on ham and the
 * detection rate on spam at the probable-spam threshold.
 *
 * Usage: node dist/bench/measure-corpus.js <corpus-dir> [--details]
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultPolicy } from '@mailshield/common';
import { Envelope } from '@mailshield/proto/message';
import type { AntispamPolicy } from '@mailshield/proto/policy';
import { ScoringEngine, type ScoreResult } from '../engine/engine.js';

interface FolderStats {
  total: number;
  flagged: number;
  byStatus: Map<string, number>;
  byRule: Map<string, number>;
  flaggedFiles: string[];
}

async function scoreFolder(
  dir: string,
  engine: ScoringEngine,
  policy: AntispamPolicy,
): Promise<FolderStats> {
  const stats: FolderStats = {
    total: 0,
    flagged: 0,
    byStatus: new Map(),
    byRule: new Map(),
    flaggedFiles: [],
  };
  for (const name of (await readdir(dir)).sort()) {
    const raw = await readFile(join(dir, name));
    // The corpus files carry no receipt time, so the scoring time stands in for it.
    const result: ScoreResult = await engine.score(raw, {
      envelope: Envelope.fromPartial({}),
      policy,
      now: new Date(),
      signal: AbortSignal.timeout(10_000),
    });
    stats.total += 1;
    stats.byStatus.set(result.status, (stats.byStatus.get(result.status) ?? 0) + 1);
    for (const finding of result.findings)
      stats.byRule.set(finding.name, (stats.byRule.get(finding.name) ?? 0) + 1);
    if (result.status === 'spam' || result.status === 'probable_spam') {
      stats.flagged += 1;
      stats.flaggedFiles.push(
        `${name} ${result.score} ${result.findings.map((f) => `${f.name}=${f.score}`).join(' ')}`,
      );
    }
  }
  return stats;
}

function printStats(label: string, stats: FolderStats, showFiles: boolean): void {
  const rate = stats.total === 0 ? 0 : (100 * stats.flagged) / stats.total;
  console.log(
    `${label}: ${stats.flagged}/${stats.total} at or above probable_spam (${rate.toFixed(2)}%)`,
  );
  console.log(
    `  statuses: ${[...stats.byStatus].map(([status, count]) => `${status}=${count}`).join(' ')}`,
  );
  const rules = [...stats.byRule].sort((a, b) => b[1] - a[1]);
  console.log(`  rule hits: ${rules.map(([rule, count]) => `${rule}=${count}`).join(' ')}`);
  if (showFiles) for (const line of stats.flaggedFiles) console.log(`    ${line}`);
}

async function main(): Promise<void> {
  const corpus = process.argv[2];
  if (corpus === undefined) {
    console.error('usage: node dist/bench/measure-corpus.js <corpus-dir> [--details]');
    process.exit(2);
  }
  const showFiles = process.argv.includes('--details');
  const policy = defaultPolicy().antispam!;
  const engine = new ScoringEngine();
  const started = Date.now();
  const ham = await scoreFolder(join(corpus, 'ham'), engine, policy);
  const spam = await scoreFolder(join(corpus, 'spam'), engine, policy);
  printStats('ham (false positives)', ham, showFiles);
  printStats('spam (detected)', spam, false);
  const seconds = (Date.now() - started) / 1000;
  console.log(`scored ${ham.total + spam.total} messages in ${seconds.toFixed(1)} s`);
}

await main();
