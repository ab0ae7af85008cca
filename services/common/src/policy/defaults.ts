import { QueueMode } from '@mailshield/proto/message';
import { SpamAction, VirusAction, type Policy } from '@mailshield/proto/policy';

/**
 * The policy a fresh control plane starts with. It relays for `relayDomains` only, trusts no
 * client network, and fails closed: infected and unparsable mail is refused, mail that could
 * not be scanned is deferred.
 */
export function defaultPolicy(relayDomains: string[] = ['example.com']): Policy {
  return {
    version: 0,
    queueMode: QueueMode.QUEUE_MODE_AFTER_QUEUE,
    relayDomains,
    trustedNetworks: [],
    maxMessageBytes: 25 * 1024 * 1024,
    beforeQueueTimeoutSeconds: 30,
    antivirus: {
      onInfected: VirusAction.VIRUS_ACTION_REJECT,
      onProtected: VirusAction.VIRUS_ACTION_SKIP,
      onCorrupted: VirusAction.VIRUS_ACTION_REJECT,
      onUnscanned: VirusAction.VIRUS_ACTION_TEMPFAIL,
      scanTimeoutSeconds: 20,
    },
    antispam: {
      spamThreshold: 5,
      probableSpamThreshold: 3,
      onSpam: SpamAction.SPAM_ACTION_TAG_SUBJECT,
      onProbableSpam: SpamAction.SPAM_ACTION_ADD_HEADERS,
      onBlacklisted: SpamAction.SPAM_ACTION_REJECT,
      onMassMailing: SpamAction.SPAM_ACTION_ADD_HEADERS,
      subjectTag: '[SPAM]',
      senderAllowlist: [],
      senderBlocklist: [],
    },
  };
}
