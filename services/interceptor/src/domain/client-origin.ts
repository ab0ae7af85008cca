import type { TrustedNetworks } from './trusted-networks.js';

/**
 * The source of a session's client address, as the interceptor learned it:
 * - `proxy`: from a PROXY header, sent by the load balancer in front of it;
 * - `peer`: from the socket, whose peer is outside the cluster networks, so it is the client;
 * - `cluster_peer`: from the socket, but the peer lies in the cluster networks and sent no
 *   PROXY header, so it is a node or proxy of the cluster, not the client;
 * - `proxy_unknown`: a `PROXY UNKNOWN` header, which carries no client address.
 */
export const ClientOriginKind = {
  proxy: 'proxy',
  peer: 'peer',
  clusterPeer: 'cluster_peer',
  proxyUnknown: 'proxy_unknown',
} as const;
export type ClientOriginKind = (typeof ClientOriginKind)[keyof typeof ClientOriginKind];

/** The client address of one SMTP session and how much it can be trusted. */
export interface ClientOrigin {
  kind: ClientOriginKind;
  /**
   * The real client's address, on which relay permission, SPF and block lists may be decided.
   * Undefined for `cluster_peer` and `proxy_unknown`.
   */
  clientAddress: string | undefined;
  /** The address to name in the Received header: the client's when known, else the peer's. */
  traceAddress: string;
}

/**
 * The PROXY header a connection began with: `none` when it sent none (the PROXY protocol is
 * off, or the peer is not one that must send it), `address` when it named the client's source
 * address, `unknown` for `PROXY UNKNOWN`.
 */
export type ProxyHeader = 'none' | 'address' | 'unknown';

/**
 * Decides which client address a session may be judged on. `sessionAddress` is the address
 * smtp-server gives the session: the PROXY header's source address when it named one, else the
 * socket's peer. Without a PROXY header, a peer inside the cluster networks is a node or a
 * proxy that rewrote the client's address (a Service with `externalTrafficPolicy: Cluster` does
 * that), so every client would look like a cluster address. Granting trusted-network relaying
 * on that address would make the gateway an open relay whenever the trusted networks cover the
 * cluster's.
 */
export function clientOriginOf(
  sessionAddress: string,
  header: ProxyHeader,
  clusterNetworks: TrustedNetworks,
): ClientOrigin {
  if (header === 'address') {
    return { kind: 'proxy', clientAddress: sessionAddress, traceAddress: sessionAddress };
  }
  if (header === 'unknown') {
    return { kind: 'proxy_unknown', clientAddress: undefined, traceAddress: sessionAddress };
  }
  if (clusterNetworks.contains(sessionAddress)) {
    return { kind: 'cluster_peer', clientAddress: undefined, traceAddress: sessionAddress };
  }
  return { kind: 'peer', clientAddress: sessionAddress, traceAddress: sessionAddress };
}
