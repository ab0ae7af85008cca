import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { trace } from '@opentelemetry/api';
import { defaultPolicy, getHeader, StaticPolicySource } from '@mailshield/common';
import { Disposition, QueueMode } from '@mailshield/proto/message';
import { Direction, VirusAction, type Policy } from '@mailshield/proto/policy';
import { Registry } from 'prom-client';
import { ClamdPool } from '../../engine/clamd-pool.js';
import { createAntivirusMetrics } from '../../metrics.js';
import { evaluateMessage, type StageContext } from '../../stage.js';
import { clamdAddress, EICAR, mailWithAttachment } from '../helpers.js';

const { address, skip } = clamdAddress();
const pool =
  address === undefined
    ? undefined
    : new ClamdPool({
        endpoints: [{ address, sharesStore: false }],
        refreshIntervalSeconds: 0,
      });
after(() => pool?.close());

/**
 * Returns a policy that rejects infected mail, except that inbound mail to lenient.example
 * passes with a subject tag and outbound mail is deleted.
 */
function overridePolicy(): Policy {
  const base = defaultPolicy(['example.com', 'lenient.example']);
  return {
    ...base,
    version: 3,
    antivirus: { ...base.antivirus!, attachmentRules: [] },
    overrides: [
      {
        recipientDomain: 'lenient.example',
        direction: Direction.DIRECTION_INBOUND,
        antivirus: {
          inbound: { onInfected: VirusAction.VIRUS_ACTION_SKIP },
          outbound: undefined,
          subjectTags: { infected: '[VIRUS]' },
        },
        antispam: undefined,
      },
      {
        recipientDomain: '',
        direction: Direction.DIRECTION_OUTBOUND,
        antivirus: {
          inbound: undefined,
          outbound: { onInfected: VirusAction.VIRUS_ACTION_DELETE_MESSAGE },
          subjectTags: {},
        },
        antispam: undefined,
      },
    ],
  };
}

async function evaluate(recipientDomain: string, isOutbound: boolean) {
  const context: StageContext = {
    scanner: pool!,
    store: undefined,
    policy: new StaticPolicySource(overridePolicy()),
    metrics: createAntivirusMetrics(new Registry()),
    instance: 'antivirus-test',
  };
  const raw = mailWithAttachment('eicar.com', Buffer.from(EICAR, 'latin1'));
  const mode = { queueMode: QueueMode.QUEUE_MODE_AFTER_QUEUE, isOutbound, recipientDomain };
  const span = trace.getTracer('antivirus-test').startSpan('test');
  try {
    return await evaluateMessage(raw, mode, context, span);
  } finally {
    span.end();
  }
}

test('override passes EICAR for one domain', { skip }, async () => {
  const { plan, outcome } = await evaluate('lenient.example', false);
  assert.equal(outcome.status, 'infected');
  assert.equal(plan.action, 'skip');
  assert.equal(plan.disposition, Disposition.DISPOSITION_DELIVER);
  assert.equal(getHeader(plan.raw, 'Subject'), '[VIRUS] attachment eicar.com');
  assert.equal(outcome.policyVersion, 3);
});

test('other domain keeps the global action', { skip }, async () => {
  const { plan } = await evaluate('example.com', false);
  assert.equal(plan.action, 'reject');
  assert.equal(plan.disposition, Disposition.DISPOSITION_REJECT);
});

test('direction override applies outbound', { skip }, async () => {
  const { plan } = await evaluate('lenient.example', true);
  assert.equal(plan.action, 'delete_message');
  assert.equal(plan.disposition, Disposition.DISPOSITION_DELETE);
});
