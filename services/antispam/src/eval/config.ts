import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { readBenchFlags, type EnvFlag, type EnvReader } from '@mailshield/common';

/** Settings of one evaluation run, from the command line or else the environment. */
export interface EvalOptions {
  /** Folder that contains `spam-ham/ham` and `spam-ham/spam`. */
  corpusDir: string;
  /** File that receives the JSON result, or undefined for none. */
  jsonFile: string | undefined;
  /** Whether to run SpamAssassin on the same split, installing it when missing. */
  spamAssassin: boolean;
  /** spamd children, and messages sent to spamd at once. */
  spamAssassinChildren: number;
  /** When above 0, cross-validate with this many folds inside the training part instead. */
  folds: number;
}

export const USAGE = `Usage: node services/antispam/dist/eval/main.js [options]

Evaluates the antispam engine with its Bayes classifier on a fixed split of a labelled corpus:
learns the training part (70%), scores the test part (30%) with the default checks plus the
bayes check at the default policy, and prints spam recall, ham false-positive rate, precision
and messages per second. Runs SpamAssassin on the same split for comparison.
Each option may also be given as the environment variable in brackets.
  --json FILE           also write the result as JSON to FILE [MAILSHIELD_EVAL_SPAM_JSON]
  --spamassassin on|off run SpamAssassin (from Debian's packages, installed with apt-get
                        when missing and run as root) [MAILSHIELD_EVAL_SPAM_SPAMASSASSIN] (on)
  --sa-children N       spamd children, and messages in flight to spamd
                        [MAILSHIELD_EVAL_SPAM_SA_CHILDREN] (the number of cores)
  --folds N             cross-validate with N folds inside the training part only; the test
                        part is not read [MAILSHIELD_EVAL_SPAM_FOLDS] (0: off)
  --help                print this text
Also read: MAILSHIELD_CORPUS_DIR (the folder that contains spam-ham/, default ../shared/corpus
beside the repository).`;

const FLAGS: Record<string, EnvFlag> = {
  json: { env: 'MAILSHIELD_EVAL_SPAM_JSON', type: 'string' },
  spamassassin: { env: 'MAILSHIELD_EVAL_SPAM_SPAMASSASSIN', type: 'string' },
  'sa-children': { env: 'MAILSHIELD_EVAL_SPAM_SA_CHILDREN', type: 'string' },
  folds: { env: 'MAILSHIELD_EVAL_SPAM_FOLDS', type: 'string' },
};

/** The shared/corpus folder beside the repository, seen from services/antispam/dist/eval. */
const DEFAULT_CORPUS_DIR = join(import.meta.dirname, '../../../../../shared/corpus');

/**
 * Reads the options, or returns 'help' for --help. Throws ConfigError listing every invalid
 * value, and TypeError from parseArgs for an unknown flag.
 */
export function readEvalOptions(argv: string[], env: NodeJS.ProcessEnv): EvalOptions | 'help' {
  const reader = readBenchFlags(argv, env, FLAGS);
  return reader === 'help' ? 'help' : readFromEnv(reader);
}

function readFromEnv(reader: EnvReader): EvalOptions {
  const spamAssassin = reader.string('MAILSHIELD_EVAL_SPAM_SPAMASSASSIN', 'on');
  if (spamAssassin !== 'on' && spamAssassin !== 'off')
    reader.problem(`MAILSHIELD_EVAL_SPAM_SPAMASSASSIN is '${spamAssassin}'; expected on or off`);
  const options: EvalOptions = {
    corpusDir: resolve(reader.string('MAILSHIELD_CORPUS_DIR', DEFAULT_CORPUS_DIR)),
    jsonFile: reader.optionalString('MAILSHIELD_EVAL_SPAM_JSON'),
    spamAssassin: spamAssassin === 'on',
    spamAssassinChildren: reader.integer(
      'MAILSHIELD_EVAL_SPAM_SA_CHILDREN',
      availableParallelism(),
      1,
      64,
    ),
    folds: reader.integer('MAILSHIELD_EVAL_SPAM_FOLDS', 0, 0, 100),
  };
  if (options.folds === 1)
    reader.problem('MAILSHIELD_EVAL_SPAM_FOLDS is 1; expected 0 or 2 and up');
  reader.done();
  return options;
}
