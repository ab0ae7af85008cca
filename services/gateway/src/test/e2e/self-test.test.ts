import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getHeader } from '@mailshield/common';
import type { SelfTestResult } from '@mailshield/proto/integrity';
import { QueueMode } from '@mailshield/proto/message';
import { SpamAction } from '@mailshield/proto/policy';
import { Pipeline, waitFor } from '../harness/pipeline.js';
import {
  CANARY_ADDRESS,
  integrityStatus,
  runCtl,
  runSelfTest,
  sendFakeCanary,
} from '../harness/self-test.js';
import { RECIPIENT, RUN_ID } from '../harness/traffic.js';

/** Asserts that both canaries passed with the verdicts they must get. */
function assertPassed(result: SelfTestResult): void {
  const checks = new Map(result.checks.map((check) => [check.name, check]));
  assert.deepEqual([...checks.keys()].sort(), ['eicar', 'gtube']);
  assert.equal(checks.get('eicar')!.got, 'antivirus: infected');
  assert.equal(checks.get('gtube')!.got, 'antivirus: clean, antispam: spam');
  assert.ok(result.checks.every((check) => check.passed));
  assert.equal(result.passed, true, JSON.stringify(result.checks));
  assert.equal(result.detail, '');
}

/**
 * Asserts that the sink received only the messages the test sent over SMTP (by X-Test-Id)
 * and that Backup contains nothing from the canaries' sender.
 */
async function assertCanariesLeftNoTrace(pipeline: Pipeline, sentIds: string[]): Promise<void> {
  const unexpected = pipeline.sink.messages.filter(
    (message) => !sentIds.includes(getHeader(message.raw, 'X-Test-Id') ?? ''),
  );
  assert.deepEqual(
    unexpected.map((message) => getHeader(message.raw, 'Subject')),
    [],
    'the sink received a canary',
  );
  const backups = await pipeline.listBackups();
  assert.deepEqual(
    backups.filter((entry) => entry.mailFrom === CANARY_ADDRESS).map((entry) => entry.subject),
    [],
    'Backup contains a canary',
  );
}

/** Sends a message that claims to be a canary and waits until the sink has it. */
async function assertFakeCanaryDelivered(pipeline: Pipeline, testId: string): Promise<void> {
  const sent = await sendFakeCanary(pipeline, RECIPIENT, testId);
  assert.equal(sent.reply.code, 250, sent.reply.text);
  const isDelivered = await waitFor(
    () => pipeline.sink.messages.some((m) => getHeader(m.raw, 'X-Test-Id') === testId),
    60_000,
  );
  assert.ok(isDelivered, 'the message claiming to be a canary was not delivered');
}

/** Waits until the interceptor runs `version` of the policy. */
async function waitForPolicy(pipeline: Pipeline, version: number): Promise<void> {
  const isApplied = await waitFor(
    async () =>
      (await pipeline.metrics('interceptor')).includes(
        `mailshield_interceptor_policy_version ${version}`,
      ),
    30_000,
  );
  assert.ok(isApplied, `the interceptor did not apply policy version ${version}`);
}

describe('self-test on Kafka and PostgreSQL', { timeout: 600_000 }, () => {
  // The interceptor's verdict listener takes its consumer group from the instance name, so a
  // name of its own keeps other pipelines on the same broker from taking its verdicts.
  const pipeline = new Pipeline('kafka', {
    MAILSHIELD_INSTANCE: `self-test-${RUN_ID}`,
    MAILSHIELD_SELF_TEST_INTERVAL_SECONDS: '0',
  });
  const sentIds: string[] = [];

  before(async () => {
    await pipeline.start();
  });

  after(async () => {
    await pipeline.stop();
  });

  test('passes after queue', async () => {
    const result = await runSelfTest(pipeline, 60);
    assertPassed(result);
    const status = await integrityStatus(pipeline);
    assert.equal(status.lastSelfTest?.passed, true);
    assert.deepEqual(status.lastSelfTest?.startedAt, result.startedAt);
  });

  test('passes before queue with spam held', async () => {
    const stored = await pipeline.updatePolicy((policy) => {
      policy.queueMode = QueueMode.QUEUE_MODE_BEFORE_QUEUE;
      policy.antispam!.onSpam = SpamAction.SPAM_ACTION_HOLD;
    });
    await waitForPolicy(pipeline, stored.version);
    assertPassed(await runSelfTest(pipeline, 60));
  });

  test('delivers mail that claims to be a canary', async () => {
    const testId = `fake-canary-${RUN_ID}`;
    sentIds.push(testId);
    await assertFakeCanaryDelivered(pipeline, testId);
  });

  test('keeps canaries out of delivery, Backup and mail counters', async () => {
    // The fake canary went through delivery after the canaries' verdicts, or on another
    // partition; a short wait lets the delivery consumer finish the others.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await assertCanariesLeftNoTrace(pipeline, sentIds);
    const antivirus = await pipeline.metrics('antivirus');
    assert.doesNotMatch(antivirus, /mailshield_antivirus_messages_total\{status="infected"/);
    const antispam = await pipeline.metrics('antispam');
    assert.doesNotMatch(antispam, /mailshield_antispam_messages_total\{status="spam"/);
    const interceptor = await pipeline.metrics('interceptor');
    assert.match(
      interceptor,
      /mailshield_interceptor_canaries_total\{kind="eicar",result="verdict"\} 2/,
    );
    const controlPlane = await pipeline.metrics('control-plane');
    assert.match(
      controlPlane,
      /mailshield_control_plane_self_test_runs_total\{result="passed"\} 2/,
    );
    assert.match(controlPlane, /mailshield_control_plane_self_test_passed 1/);
  });

  test('fails in time when the antivirus is stopped', async () => {
    const antivirus = pipeline.process('antivirus');
    await antivirus.stop('SIGTERM');
    const deadlineSeconds = 8;
    const started = performance.now();
    const result = await runSelfTest(pipeline, deadlineSeconds);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(result.passed, false);
    for (const check of result.checks) {
      assert.equal(check.passed, false);
      assert.equal(check.got, `no verdict within ${deadlineSeconds} s`);
    }
    assert.ok(seconds >= deadlineSeconds, `returned after ${seconds} s, before the deadline`);
    assert.ok(seconds < deadlineSeconds + 5, `returned after ${seconds} s`);
    assert.equal((await integrityStatus(pipeline)).lastSelfTest?.passed, false);
    assert.match(
      await pipeline.metrics('control-plane'),
      /mailshield_control_plane_self_test_passed 0/,
    );

    // The canaries left in the inbound topic are scanned once the antivirus is back, and are
    // still neither delivered nor stored.
    await antivirus.start();
    assertPassed(await runSelfTest(pipeline, 60));
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await assertCanariesLeftNoTrace(pipeline, sentIds);
  });
});

describe('self-test in the one-process gateway', { timeout: 300_000 }, () => {
  const pipeline = new Pipeline('embedded', {
    MAILSHIELD_SELF_TEST_INTERVAL_SECONDS: '1',
    MAILSHIELD_SELF_TEST_DEADLINE_SECONDS: '30',
  });
  const sentIds: string[] = [];

  before(async () => {
    await pipeline.start();
  });

  after(async () => {
    await pipeline.stop();
  });

  test('runs on its schedule', async () => {
    // The first runs may start before the interceptor listens, and fail.
    const hasPassed = await waitFor(
      async () => (await integrityStatus(pipeline)).lastSelfTest?.passed === true,
      60_000,
    );
    assert.ok(hasPassed, 'no scheduled self-test passed');
    assertPassed((await integrityStatus(pipeline)).lastSelfTest!);
  });

  test('mailshieldctl self-test passes', async () => {
    const table = await runCtl(pipeline, ['self-test']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^eicar +passed +antivirus: infected +antivirus: infected +\d/m);
    assert.match(table.stdout, /^self-test passed/m);
    const json = await runCtl(pipeline, ['self-test', '-o', 'json', '--deadline', '30']);
    assert.equal(json.code, 0, json.stderr);
    const result = JSON.parse(json.stdout) as { passed: boolean; checks: { name: string }[] };
    assert.equal(result.passed, true);
    assert.deepEqual(result.checks.map((check) => check.name).sort(), ['eicar', 'gtube']);
  });

  test('keeps canaries out of delivery and Backup', async () => {
    const testId = `fake-canary-embedded-${RUN_ID}`;
    sentIds.push(testId);
    await assertFakeCanaryDelivered(pipeline, testId);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await assertCanariesLeftNoTrace(pipeline, sentIds);
  });
});
