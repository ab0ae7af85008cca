import { QueueMode } from '@mailshield/proto/message';
import {
  Direction,
  SpamAction,
  VirusAction,
  type Policy,
  type ScanLimits,
  type VirusActions,
} from '@mailshield/proto/policy';

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
      scanTimeoutSeconds: 20,
      inbound: defaultVirusActions(),
      outbound: defaultVirusActions(),
      subjectTags: {},
      limits: defaultScanLimits(),
      attachmentRules: [
        {
          name: 'disguised-executables',
          fileTypes: [],
          namePatterns: [
            '*.{pdf,doc,docx,xls,xlsx,ppt,pptx,txt,rtf,jpg,jpeg,png,gif,zip}.{exe,scr,com,pif,bat,cmd,js,jse,vbs,vbe,wsf,hta,lnk}',
          ],
          minBytes: 0,
          action: VirusAction.VIRUS_ACTION_DELETE_OBJECT,
          direction: Direction.DIRECTION_UNSPECIFIED,
        },
        {
          name: 'inbound-executables',
          fileTypes: ['executable'],
          namePatterns: [],
          minBytes: 0,
          action: VirusAction.VIRUS_ACTION_DELETE_OBJECT,
          direction: Direction.DIRECTION_INBOUND,
        },
        {
          name: 'inbound-windows-scripts',
          fileTypes: [],
          namePatterns: [
            '*.{bat,cmd,com,cpl,scr,pif,vb,vbs,vbe,js,jse,ps1,psm1,wsc,wsf,wsh,sct,scf,hta,lnk,reg,msi,msc,msp,jnlp,xll}',
          ],
          minBytes: 0,
          action: VirusAction.VIRUS_ACTION_DELETE_OBJECT,
          direction: Direction.DIRECTION_INBOUND,
        },
      ],
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
      networkAllowlist: [],
      networkBlocklist: [],
      recipientDomainLists: [],
      // No block list zone by default: a zone sends each client address or URL domain to a
      // third party, also from tests and development machines, and public lists refuse
      // queries that come through large shared resolvers.
      clientBlocklists: [],
      urlBlocklists: [],
      reportHeader: 'X-Mailshield-Spam-Report',
    },
    overrides: [],
  };
}

/**
 * Fails closed: infected and unparsable mail is refused, encrypted mail passes with a header,
 * mail that clamd could not scan is deferred, and mail over a limit is refused.
 */
export function defaultVirusActions(): VirusActions {
  return {
    onInfected: VirusAction.VIRUS_ACTION_REJECT,
    onProtected: VirusAction.VIRUS_ACTION_SKIP,
    onCorrupted: VirusAction.VIRUS_ACTION_REJECT,
    onEngineError: VirusAction.VIRUS_ACTION_TEMPFAIL,
    onLimitExceeded: VirusAction.VIRUS_ACTION_REJECT,
  };
}

/**
 * Limits sized for mail, not for the machine. The 64 MiB member limit stays below the
 * MaxFileSize (100M) of the clamd configuration that deploy/local writes.
 */
export function defaultScanLimits(): ScanLimits {
  return {
    maxMessageBytes: 64 * 1024 * 1024,
    maxParts: 500,
    maxMimeDepth: 20,
    maxDecodedBytes: 256 * 1024 * 1024,
    maxArchiveDepth: 10,
    maxExpandedBytes: 256 * 1024 * 1024,
    maxMemberBytes: 64 * 1024 * 1024,
    maxCompressionRatio: 700,
    maxArchiveEntries: 10_000,
  };
}
