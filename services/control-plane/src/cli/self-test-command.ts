import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { deadlineIn } from '@mailshield/common';
import type { SelfTestResult } from '@mailshield/proto/integrity';
import { MAX_SELF_TEST_DEADLINE_SECONDS } from '../config.js';
import { UsageError } from './args.js';
import type { Command, CommandContext } from './command-context.js';
import { formatTable, formatTime } from './format.js';

const COMMAND = 'self-test';

/** Time allowed beyond the canary deadline for the control plane's reply. */
const REPLY_MARGIN_SECONDS = 10;

/** Error for a self-test that ran and failed. The program prints it and exits with code 1. */
export class SelfTestFailedError extends Error {
  override readonly name = 'SelfTestFailedError';
}

export const selfTestCommand: Command = {
  path: [COMMAND],
  summary:
    'Send an EICAR and a GTUBE canary through the pipeline now and check their verdicts; exits 1 when a check fails.',
  positionals: [],
  options: {
    deadline: {
      type: 'string',
      valueName: 'SECONDS',
      description: `how long each canary may take, at most ${MAX_SELF_TEST_DEADLINE_SECONDS} (default: the control plane's MAILSHIELD_SELF_TEST_DEADLINE_SECONDS)`,
    },
  },
  run: runSelfTest,
};

async function runSelfTest(context: CommandContext): Promise<void> {
  const deadline = parseDeadline(context.values['deadline']);
  const result = await callSelfTest(context, deadline);
  if (context.isJson) {
    // Plain JSON.stringify keeps `passed: false`, which the proto3 JSON form would leave out.
    context.print(JSON.stringify(result, null, 2));
  } else {
    const rows = result.checks.map((check) => [
      check.name,
      check.passed ? 'passed' : 'FAILED',
      check.expected,
      check.got,
      check.seconds.toFixed(2),
    ]);
    context.print(formatTable(['CHECK', 'RESULT', 'EXPECTED', 'GOT', 'SECONDS'], rows));
    context.print(
      `\nself-test ${result.passed ? 'passed' : 'FAILED'} (started ${formatTime(result.startedAt)})`,
    );
    if (result.detail !== '') context.print(result.detail);
  }
  if (!result.passed) {
    const failed = result.checks.filter((check) => !check.passed).map((check) => check.name);
    throw new SelfTestFailedError(
      `self-test failed (${failed.join(', ') || 'no checks'}); the checks above say which stage ` +
        "did not answer as expected, and 'mailshieldctl status' shows the health of each",
    );
  }
}

function parseDeadline(value: string | boolean | undefined): number {
  if (typeof value !== 'string') return 0;
  const seconds = Number(value);
  if (!(seconds > 0 && seconds <= MAX_SELF_TEST_DEADLINE_SECONDS)) {
    throw new UsageError(
      `--deadline must be a number of seconds above 0 and at most ${MAX_SELF_TEST_DEADLINE_SECONDS}, not "${value}"`,
      COMMAND,
    );
  }
  return seconds;
}

/**
 * Calls Integrity.SelfTest with a call deadline that outlasts the canaries' own: --timeout
 * bounds ordinary calls, but a self-test legitimately takes up to its canary deadline.
 */
function callSelfTest(context: CommandContext, deadlineSeconds: number): Promise<SelfTestResult> {
  const canarySeconds = deadlineSeconds === 0 ? MAX_SELF_TEST_DEADLINE_SECONDS : deadlineSeconds;
  const { integrity } = context.clients;
  return new Promise((resolve, reject) => {
    integrity.selfTest(
      { deadlineSeconds },
      new Metadata(),
      { deadline: deadlineIn(canarySeconds + REPLY_MARGIN_SECONDS) },
      (err: ServiceError | null, result: SelfTestResult) =>
        err === null ? resolve(result) : reject(err),
    );
  });
}
