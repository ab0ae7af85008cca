import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SMTPServer } from 'smtp-server';
import type { SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';
import type { ProxyHeader } from '../domain/client-origin.js';

/**
 * An SMTPServer that remembers, per session id, what PROXY header the connection began with.
 * smtp-server reads the header before the session exists and hands the session only the
 * address, so a session alone cannot tell `PROXY UNKNOWN` (which leaves the socket's peer
 * address in place) from a connection that sent no header at all.
 */
export class ProxyAwareSmtpServer extends SMTPServer {
  private readonly headers = new Map<string, ProxyHeader>();

  override connect(socket: Socket | TLSSocket, socketOptions?: SMTPConnectionOptions | null): void {
    const id = socketOptions?.id;
    if (id !== undefined) this.headers.set(id, this.headerOf(socket, socketOptions));
    super.connect(socket, socketOptions);
  }

  /**
   * Returns the PROXY header of a session's connection and drops it from the map. Returns
   * `none` for an unseen session, which cannot occur because smtp-server creates sessions in
   * `connect`.
   */
  takeProxyHeader(sessionId: string): ProxyHeader {
    const header = this.headers.get(sessionId) ?? 'none';
    this.headers.delete(sessionId);
    return header;
  }

  /** Drops the entry of a session whose connection closed before `takeProxyHeader`. */
  forget(sessionId: string): void {
    this.headers.delete(sessionId);
  }

  private headerOf(socket: Socket | TLSSocket, options: SMTPConnectionOptions | null | undefined) {
    // smtp-server closes the socket of a peer whose header is missing or malformed, so a peer
    // that must send the header reaches connect() only after a valid one.
    if (!this._expectsProxyHeader(socket)) return 'none';
    return options?.remoteAddress === undefined ? 'unknown' : 'address';
  }
}
