import type { Check, Finding, ParsedMessage } from '../types.js';

/** The Generic Test for Unsolicited Bulk Email string, as published by SpamAssassin. */
export const GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';

const GTUBE_SCORE = 1000;

/** Finds GTUBE in the raw bytes or in the decoded text and HTML, so encoded bodies count too. */
export const gtubeCheck: Check = {
  name: 'gtube',
  run(message: ParsedMessage): Finding[] {
    const isFound =
      message.raw.includes(GTUBE, 0, 'latin1') ||
      message.text.includes(GTUBE) ||
      message.html.includes(GTUBE);
    if (!isFound) return [];
    return [
      { name: 'GTUBE', object: 'message', score: GTUBE_SCORE, detail: 'GTUBE test string found' },
    ];
  },
};
