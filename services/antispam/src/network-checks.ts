import type { Logger } from '@mailshield/common';
import type { AntispamOptions } from './config.js';
import { createDnsResolver } from './dns/resolver.js';
import { authenticationCheck } from './engine/checks/authentication.js';
import { dnsblCheck } from './engine/checks/dnsbl.js';
import type { Check } from './engine/types.js';

/**
 * The checks that ask DNS, built from the service options. The block list check is always
 * there and sends no query until the policy names a zone. SPF, DKIM, DMARC and ARC run only
 * when `options.authentication` is on, and a start-up log line records which way it went.
 */
export function networkChecks(options: AntispamOptions, logger: Logger): Check[] {
  const resolver = createDnsResolver({
    servers: options.dnsServers ?? [],
    timeoutSeconds: options.dnsTimeoutSeconds ?? 2,
  });
  const checks: Check[] = [dnsblCheck(resolver)];
  const dns = { servers: resolver.servers, timeout_seconds: options.dnsTimeoutSeconds ?? 2 };
  if (options.authentication === true) {
    checks.push(authenticationCheck(resolver));
    logger.info(
      { event: 'antispam.authentication_on', ...dns },
      'SPF, DKIM, DMARC and ARC checks are on',
    );
  } else {
    logger.info(
      { event: 'antispam.authentication_off', ...dns },
      'SPF, DKIM, DMARC and ARC checks are off; set MAILSHIELD_ANTISPAM_AUTHENTICATION=true or MAILSHIELD_DNS_SERVERS to run them',
    );
  }
  return checks;
}
