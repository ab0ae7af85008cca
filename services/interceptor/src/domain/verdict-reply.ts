import { Disposition, type MessageRecord } from '@mailshield/proto/message';

/** The SMTP reply a before-queue session sends for a verdict, or `accept` for 250. */
export type VerdictReply = { kind: 'accept' } | { kind: 'refuse'; code: number; text: string };

/**
 * Maps a before-queue verdict to the session's reply. DELIVER, HOLD and DELETE are accepted,
 * because the pipeline keeps a backup for the last two. REJECT gives 5xx with the stage's reply
 * text. TEMPFAIL or anything unknown gives 451, so the client retries.
 */
export function replyForVerdict(verdict: MessageRecord): VerdictReply {
  switch (verdict.disposition) {
    case Disposition.DISPOSITION_DELIVER:
    case Disposition.DISPOSITION_HOLD:
    case Disposition.DISPOSITION_DELETE:
      return { kind: 'accept' };
    case Disposition.DISPOSITION_REJECT:
      return parseStageReply(verdict.reply, 5, {
        code: 550,
        text: '5.7.1 Message rejected by policy',
      });
    case Disposition.DISPOSITION_TEMPFAIL:
      return parseStageReply(verdict.reply, 4, {
        code: 451,
        text: '4.7.0 Message could not be checked, try again later',
      });
    default:
      return { kind: 'refuse', code: 451, text: '4.3.0 Temporary failure, try again later' };
  }
}

/**
 * Reads a stage's reply such as `550 5.7.1 Message contains a virus` or `5.7.1 Message
 * contains a virus`. The reply class must match `expectedClass` (5 for reject, 4 for tempfail),
 * so a stage can never turn a reject into a temporary failure or the other way round.
 */
function parseStageReply(
  reply: string,
  expectedClass: 4 | 5,
  fallback: { code: number; text: string },
): VerdictReply {
  const clean = reply.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  const match = /^(?:([245]\d\d)[ -])?\s*(([245])\.\d{1,3}\.\d{1,3})?\s*(.*)$/.exec(clean)!;
  const code = match[1] === undefined ? undefined : Number(match[1]);
  const enhanced = match[2];
  const text = match[4] ?? '';
  const codeOk = code === undefined || Math.floor(code / 100) === expectedClass;
  const enhancedOk = enhanced === undefined || match[3] === String(expectedClass);
  if (!codeOk || !enhancedOk || text === '') return { kind: 'refuse', ...fallback };
  const fallbackEnhanced = fallback.text.split(' ')[0]!;
  return {
    kind: 'refuse',
    code: code ?? fallback.code,
    text: `${enhanced ?? fallbackEnhanced} ${text}`,
  };
}
