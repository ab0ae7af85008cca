import {
  connectivityState,
  Metadata,
  status as GrpcStatus,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  clientChannelOptions,
  deadlineIn,
  formatHostPort,
  insecureCredentials,
  type HostPort,
  type Logger,
} from '@mailshield/common';
import { CanaryClient, CanaryKind, type InjectResponse } from '@mailshield/proto/canary';
import type { SelfTestCheck, SelfTestResult } from '@mailshield/proto/integrity';
import { Stage, type StageOutcome } from '@mailshield/proto/message';
import type { ControlPlaneMetrics } from '../metrics.js';

export interface SelfTestOptions {
  /** gRPC address of the interceptor's Canary service. Every run fails while it is undefined. */
  interceptor: HostPort | undefined;
  /** Seconds between scheduled runs, or 0 to run only on demand. */
  intervalSeconds: number;
  /** Deadline of each canary when a run names none, in seconds. */
  deadlineSeconds: number;
  logger: Logger;
  metrics: ControlPlaneMetrics;
}

/** The verdict that one canary must get. */
interface Expectation {
  name: string;
  kind: CanaryKind;
  /** Status each named stage must report. */
  statuses: [Stage.STAGE_ANTIVIRUS | Stage.STAGE_ANTISPAM, string][];
}

const EXPECTATIONS: Expectation[] = [
  {
    name: 'eicar',
    kind: CanaryKind.CANARY_KIND_EICAR,
    statuses: [[Stage.STAGE_ANTIVIRUS, 'infected']],
  },
  {
    name: 'gtube',
    kind: CanaryKind.CANARY_KIND_GTUBE,
    statuses: [
      [Stage.STAGE_ANTIVIRUS, 'clean'],
      [Stage.STAGE_ANTISPAM, 'spam'],
    ],
  },
];

/** Time allowed beyond a canary's deadline for the interceptor's reply to come back. */
const CALL_MARGIN_SECONDS = 3;

/** Seconds from start to the first scheduled run, which gives the services time to start. */
const FIRST_RUN_DELAY_SECONDS = 30;

/**
 * The canary self-test: injects an EICAR and a GTUBE canary at the interceptor, in parallel,
 * and checks that the antivirus finds the first infected and the antispam scores the second as
 * spam. The interceptor writes each canary to the inbound topic like mail accepted over SMTP,
 * so a pass shows that the whole path works: the bus, every stage, clamd and the verdict topic.
 * A run returns within its deadline plus `CALL_MARGIN_SECONDS`, also when a stage is down.
 */
export class SelfTest {
  private readonly client: CanaryClient | undefined;
  private lastResult: SelfTestResult | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly options: SelfTestOptions) {
    this.client =
      options.interceptor === undefined
        ? undefined
        : new CanaryClient(
            formatHostPort(options.interceptor),
            insecureCredentials,
            clientChannelOptions,
          );
  }

  /**
   * Schedules a run every `intervalSeconds`, unless it is 0. The first run comes after at most
   * `FIRST_RUN_DELAY_SECONDS`, so a fresh start shows a result well before a whole interval.
   */
  start(): void {
    if (this.options.intervalSeconds <= 0) return;
    const tick = () => {
      this.running = this.run(undefined, 'schedule').finally(() => {
        this.running = undefined;
        if (this.timer !== undefined) {
          this.timer = setTimeout(tick, this.options.intervalSeconds * 1000);
        }
      });
    };
    const firstDelay = Math.min(this.options.intervalSeconds, FIRST_RUN_DELAY_SECONDS);
    this.timer = setTimeout(tick, firstDelay * 1000);
  }

  /** Stops the schedule, waits for a scheduled run in progress, and closes the client. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    this.client?.close();
  }

  /** Returns the result of the newest finished run, or undefined before the first one. */
  last(): SelfTestResult | undefined {
    return this.lastResult;
  }

  /**
   * Runs both canaries now, each with `deadlineSeconds` (default: the configured deadline),
   * and records the result as the last one. An unreachable interceptor or a failed call gives
   * a failed result, not a rejection.
   */
  async run(
    deadlineSeconds = this.options.deadlineSeconds,
    trigger: 'schedule' | 'request' = 'request',
  ): Promise<SelfTestResult> {
    const startedAt = new Date();
    const started = performance.now();
    const client = this.client;
    let checks: SelfTestCheck[];
    let detail = '';
    if (client === undefined) {
      detail =
        'no "interceptor" component is configured (MAILSHIELD_COMPONENTS), so no canary was injected';
      checks = EXPECTATIONS.map((expectation) => notRun(expectation, 'not run: no interceptor'));
    } else {
      const outcomes = await Promise.all(
        EXPECTATIONS.map((expectation) => this.check(client, expectation, deadlineSeconds)),
      );
      checks = outcomes.map(({ check }) => check);
      if (outcomes.some(({ isUnreachable }) => isUnreachable)) {
        detail = `the interceptor at ${formatHostPort(this.options.interceptor!)} is unreachable`;
      }
    }
    const result: SelfTestResult = {
      passed: checks.every((check) => check.passed),
      startedAt,
      finishedAt: new Date(),
      checks,
      detail,
    };
    this.record(result, (performance.now() - started) / 1000, trigger);
    return result;
  }

  private async check(
    client: CanaryClient,
    expectation: Expectation,
    deadlineSeconds: number,
  ): Promise<{ check: SelfTestCheck; isUnreachable: boolean }> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const response = await inject(client, expectation.kind, deadlineSeconds);
      const { passed, got } = evaluate(expectation, response, deadlineSeconds);
      const check = {
        name: expectation.name,
        passed,
        expected: expected(expectation),
        got,
        seconds: seconds(),
      };
      return { check, isUnreachable: false };
    } catch (err) {
      const serviceError = err as ServiceError;
      const code = GrpcStatus[serviceError.code] ?? String(serviceError.code);
      const isUnreachable =
        client.getChannel().getConnectivityState(false) !== connectivityState.READY;
      const got = isUnreachable
        ? `no connection to the interceptor (${code})`
        : `Canary.Inject failed: ${code}: ${serviceError.details || serviceError.message}`;
      return { check: { ...notRun(expectation, got), seconds: seconds() }, isUnreachable };
    }
  }

  private record(result: SelfTestResult, seconds: number, trigger: string): void {
    this.lastResult = result;
    const { metrics, logger } = this.options;
    metrics.selfTestPassed.set(result.passed ? 1 : 0);
    metrics.selfTestRuns.inc({ result: result.passed ? 'passed' : 'failed' });
    metrics.selfTestDuration.observe(seconds);
    const fields = {
      event: 'integrity.self_test',
      trigger,
      passed: result.passed,
      seconds: Number(seconds.toFixed(3)),
      checks: result.checks.map(({ name, passed, got }) => ({ name, passed, got })),
      detail: result.detail || undefined,
    };
    if (result.passed) logger.info(fields, 'self-test passed');
    else logger.warn(fields, 'self-test failed');
  }
}

function inject(
  client: CanaryClient,
  kind: CanaryKind,
  deadlineSeconds: number,
): Promise<InjectResponse> {
  return new Promise((resolve, reject) => {
    client.inject(
      { kind, deadlineSeconds },
      // Waits for a connection within the deadline, so a run right after the interceptor
      // (re)started does not fail while the channel is still in its reconnect backoff.
      new Metadata({ waitForReady: true }),
      { deadline: deadlineIn(deadlineSeconds + CALL_MARGIN_SECONDS) },
      (err, response) => (err === null ? resolve(response) : reject(err)),
    );
  });
}

/** Compares the last outcome of each expected stage with the status it must have. */
function evaluate(
  expectation: Expectation,
  response: InjectResponse,
  deadlineSeconds: number,
): { passed: boolean; got: string } {
  if (!response.completed) {
    return { passed: false, got: `no verdict within ${deadlineSeconds} s` };
  }
  const statuses = expectation.statuses.map(
    ([stage]) => lastOutcome(response.outcomes, stage)?.status ?? 'no outcome',
  );
  const passed = expectation.statuses.every(([, status], index) => statuses[index] === status);
  const got = expectation.statuses
    .map(([stage], index) => `${stageName(stage)}: ${statuses[index]}`)
    .join(', ');
  return { passed, got };
}

function lastOutcome(outcomes: StageOutcome[], stage: Stage): StageOutcome | undefined {
  return outcomes.filter((outcome) => outcome.stage === stage).at(-1);
}

function expected(expectation: Expectation): string {
  return expectation.statuses.map(([stage, status]) => `${stageName(stage)}: ${status}`).join(', ');
}

function stageName(stage: Stage): string {
  return stage === Stage.STAGE_ANTIVIRUS ? 'antivirus' : 'antispam';
}

function notRun(expectation: Expectation, got: string): SelfTestCheck {
  return {
    name: expectation.name,
    passed: false,
    expected: expected(expectation),
    got,
    seconds: 0,
  };
}
