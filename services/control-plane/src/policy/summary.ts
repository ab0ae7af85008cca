import { QueueMode } from '@mailshield/proto/message';
import type { Policy } from '@mailshield/proto/policy';

/**
 * Describes a policy in one short line for history listings, such as
 * "after-queue; 2 relay domains; 1 trusted network; spam at 5; 1 override".
 */
export function summarizePolicy(policy: Policy): string {
  const mode =
    policy.queueMode === QueueMode.QUEUE_MODE_BEFORE_QUEUE ? 'before-queue' : 'after-queue';
  const parts = [
    mode,
    count(policy.relayDomains.length, 'relay domain'),
    count(policy.trustedNetworks.length, 'trusted network'),
  ];
  if (policy.antispam !== undefined) parts.push(`spam at ${policy.antispam.spamThreshold}`);
  parts.push(count(policy.overrides.length, 'override'));
  return parts.join('; ');
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
