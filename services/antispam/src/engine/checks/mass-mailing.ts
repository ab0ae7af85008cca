import { headerValue } from '../parse.js';
import type { Check, Finding } from '../types.js';

/** Marks newsletters and other bulk mail. It adds no score, only the mass-mailing effect. */
export const massMailingCheck: Check = {
  name: 'mass_mailing',
  run(message): Finding[] {
    const findings: Finding[] = [];
    if (headerValue(message, 'list-unsubscribe') !== undefined) {
      findings.push({
        name: 'LIST_UNSUBSCRIBE',
        object: 'header:List-Unsubscribe',
        score: 0,
        detail: 'the message offers a list unsubscribe link',
        effect: 'bulk',
      });
    }
    const precedence = headerValue(message, 'precedence')?.trim().toLowerCase();
    if (precedence === 'bulk' || precedence === 'junk') {
      findings.push({
        name: 'PRECEDENCE_BULK',
        object: 'header:Precedence',
        score: 0,
        detail: `Precedence: ${precedence}`,
        effect: 'bulk',
      });
    }
    return findings;
  },
};
