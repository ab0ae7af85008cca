/**
 * Evaluates the antispam engine with its Bayes classifier against SpamAssassin on a fixed
 * split of a labelled corpus, and writes JSON with --json.
 *
 * Usage: node services/antispam/dist/eval/main.js --help
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { benchLog, machineFacts, roundNumbers, runBenchMain } from '@mailshield/common';
import { readEvalOptions, USAGE, type EvalOptions } from './config.js';
import { loadCorpus, type CorpusMessage } from './corpus.js';
import { crossValidate } from './cross-validate.js';
import { engineFigures, thresholdFigures } from './figures.js';
import { scoreWithEngine, trainModel } from './ours.js';
import { formatFigures, formatReport, type EvalResult, type PartCounts } from './report.js';
import { runSpamAssassin } from './spamassassin.js';
import { ensureSpamAssassin } from './spamassassin-setup.js';
import { isTrainingMessage, SPLIT_DESCRIPTION } from './split.js';

const log = benchLog('eval-spam');

function counts(messages: readonly CorpusMessage[]): PartCounts {
  const spam = messages.filter((message) => message.label === 'spam').length;
  return { ham: messages.length - spam, spam };
}

async function evaluateOurs(
  train: readonly CorpusMessage[],
  test: readonly CorpusMessage[],
): Promise<EvalResult['mailshield']> {
  log(`learning ${train.length} messages`);
  const trained = await trainModel(train);
  log(`scoring ${test.length} messages with the engine`);
  const run = await scoreWithEngine(trained.model, test);
  return {
    model: {
      spamMessages: trained.model.spamMessages,
      hamMessages: trained.model.hamMessages,
      tokens: trained.model.tokenCount,
      learnSeconds: trained.seconds,
    },
    unparsedTraining: trained.unparsed,
    figures: engineFigures(run.results),
    speed: {
      messages: run.results.length,
      seconds: run.seconds,
      messagesPerSecond: run.results.length / run.seconds,
      cpuSeconds: run.cpuSeconds,
      messagesPerCpuSecond: run.results.length / run.cpuSeconds,
    },
  };
}

async function evaluateSpamAssassin(
  options: EvalOptions,
  train: readonly CorpusMessage[],
  test: readonly CorpusMessage[],
): Promise<EvalResult['spamassassin']> {
  if (!options.spamAssassin) return { skipped: 'turned off with --spamassassin off' };
  const version = await ensureSpamAssassin(log);
  if (version === undefined) return { skipped: 'spamassassin is not installed' };
  const run = await runSpamAssassin(version, train, test, options.spamAssassinChildren, log);
  return {
    version,
    children: run.children,
    learnSeconds: run.learnSeconds,
    figures: thresholdFigures(run.results),
    speed: {
      messages: run.results.length,
      seconds: run.scoreSeconds,
      messagesPerSecond: run.results.length / run.scoreSeconds,
    },
  };
}

async function run(options: EvalOptions): Promise<void> {
  const corpus = await loadCorpus(join(options.corpusDir, 'spam-ham'));
  const train = corpus.filter((message) => isTrainingMessage(message.name));
  if (options.folds > 0) {
    log(`cross-validating with ${options.folds} folds inside the training part`);
    const figures = await crossValidate(train, options.folds, log);
    console.log(
      `${options.folds}-fold cross-validation inside the training part (${SPLIT_DESCRIPTION})`,
    );
    console.log(formatFigures(figures));
    return;
  }
  const test = corpus.filter((message) => !isTrainingMessage(message.name));
  const machine = machineFacts();
  const result: EvalResult = {
    machine,
    split: { description: SPLIT_DESCRIPTION, training: counts(train), test: counts(test) },
    mailshield: await evaluateOurs(train, test),
    spamassassin: await evaluateSpamAssassin(options, train, test),
  };
  console.log(formatReport(result));
  if (options.jsonFile !== undefined) {
    await writeFile(options.jsonFile, `${JSON.stringify(result, roundNumbers, 2)}\n`);
    log(`wrote ${options.jsonFile}`);
  }
}

runBenchMain(
  { usage: USAGE, readOptions: readEvalOptions, run, log },
  process.argv.slice(2),
  process.env,
);
