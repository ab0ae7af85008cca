import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import type { SMTPServer } from 'smtp-server';

type Send = SMTPConnection['send'];

/** Callbacks that see every reply code a server sends, for the replies metric. */
const replyObservers = new WeakMap<SMTPServer, (code: number) => void>();

const ENHANCED_CODE_AT_START = /^[245]\.\d{1,3}\.\d{1,3} /;
let isPatched = false;

/**
 * Adjusts smtp-server 3.21 so handler errors can carry their own enhanced status code.
 *
 * smtp-server prefixes every reply with an enhanced code chosen from the reply code alone, so
 * an error `550` with text `5.7.1 Relaying denied` would go out as `550 5.1.1 5.7.1 Relaying
 * denied`. The wrapped `send` leaves out its own code when the text already starts with one,
 * and reports each reply code to the observer registered for the connection's server.
 * Installing it twice has no further effect.
 */
export function installReplyPatch(): void {
  if (isPatched) return;
  isPatched = true;
  const original: Send = SMTPConnection.prototype.send;
  SMTPConnection.prototype.send = function send(this: SMTPConnection, code, data, context) {
    replyObservers.get(this._server)?.(code);
    const hasOwnCode = typeof data === 'string' && ENHANCED_CODE_AT_START.test(data);
    original.call(this, code, data, hasOwnCode ? false : context);
  };
}

export function observeReplies(server: SMTPServer, observer: (code: number) => void): void {
  replyObservers.set(server, observer);
}
