import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import {
  EnvReader,
  readBusOptions,
  readCommonOptions,
  type BusOptions,
  type CommonOptions,
  type HostPort,
} from '@mailshield/common';
import { parseTrustedNetworks } from './domain/trusted-networks.js';

/** Settings of the interceptor, read once at start by `readInterceptorOptions`. */
export interface InterceptorOptions extends CommonOptions {
  /** Address the SMTP listener binds to (MAILSHIELD_SMTP_HOST, MAILSHIELD_SMTP_PORT). Default 127.0.0.1:2525. */
  smtp: HostPort;
  /** Name in the SMTP greeting and in the Received header. Default: the machine's host name. */
  smtpHostname: string;
  /** PEM certificate chain for STARTTLS. STARTTLS is offered only when both files are set. */
  tlsCertFile: string | undefined;
  /** PEM private key for STARTTLS. */
  tlsKeyFile: string | undefined;
  /**
   * Read a PROXY protocol v1 header before each SMTP session (MAILSHIELD_SMTP_PROXY_PROTOCOL),
   * so the client address survives a load balancer. A connection from a peer that must send the
   * header and does not is closed. Default false.
   */
  proxyProtocol: boolean;
  /**
   * Peer addresses that must send the PROXY header (MAILSHIELD_SMTP_PROXY_PEERS, exact IP
   * addresses, comma-separated); other peers connect without one. Empty: every peer. Default
   * empty.
   */
  proxyPeers: string[];
  /**
   * Pod and node networks of the cluster (MAILSHIELD_CLUSTER_NETWORKS, CIDR, comma-separated).
   * A peer inside them that sent no PROXY header is a node or proxy, not the client, so it
   * gets no trusted-network relaying and no address-based spam checks. Default empty.
   */
  clusterNetworks: string[];
  /** How long shutdown waits for open SMTP sessions before sending 421, in seconds. Default 20. */
  drainSeconds: number;
  /** Server that accepted mail is relayed to (MAILSHIELD_NEXT_HOP, host:port). Unset: write .eml files. */
  nextHop: HostPort | undefined;
  /** Verify the next hop's STARTTLS certificate. Default true. */
  nextHopVerifyTls: boolean;
  /**
   * How long one delivery attempt keeps retrying a next hop that is down or replies 4xx, in
   * seconds, before the recipients still pending go to the delivery-retry topic. The consumer
   * of that partition waits meanwhile, so keep it short. 0: one try only. Default 5.
   */
  nextHopRetrySeconds: number;
  /**
   * Wait between two delivery attempts of a deferred message, in seconds
   * (MAILSHIELD_DELIVERY_RETRY_DELAY_SECONDS). Fixed, so the delivery-retry topic stays in due
   * order. Default 300.
   */
  deliveryRetryDelaySeconds: number;
  /**
   * Age at which the interceptor gives up on a deferred message and stores it in Backup as
   * expired, in seconds from its reception, or from its release for a released message
   * (MAILSHIELD_DELIVERY_MAX_AGE_SECONDS). Default 432000 (5 days).
   */
  deliveryMaxAgeSeconds: number;
  /** Folder for .eml files when there is no next hop. Default <stateDir>/delivered. */
  deliveryDir: string;
  /** Port of the gRPC health server (MAILSHIELD_INTERCEPTOR_GRPC_PORT). Default 50051. */
  grpcPort: number;
  /** Port of the Prometheus metrics server (MAILSHIELD_INTERCEPTOR_METRICS_PORT). Default 9101. */
  metricsPort: number;
  /** The message bus: Kafka when MAILSHIELD_KAFKA_BROKERS is set, else the on-disk journal. */
  bus: BusOptions;
}

/** Reads the interceptor settings from the environment; throws `ConfigError` listing every problem. */
export function readInterceptorOptions(env: NodeJS.ProcessEnv = process.env): InterceptorOptions {
  const reader = new EnvReader(env);
  const tlsCertFile = reader.optionalString('MAILSHIELD_TLS_CERT_FILE');
  const tlsKeyFile = reader.optionalString('MAILSHIELD_TLS_KEY_FILE');
  if ((tlsCertFile === undefined) !== (tlsKeyFile === undefined)) {
    reader.problem('MAILSHIELD_TLS_CERT_FILE and MAILSHIELD_TLS_KEY_FILE must be set together');
  }
  const proxyProtocol = reader.boolean('MAILSHIELD_SMTP_PROXY_PROTOCOL', false);
  const proxyPeers = reader.list('MAILSHIELD_SMTP_PROXY_PEERS', []);
  for (const peer of proxyPeers.filter((entry) => isIP(entry) === 0)) {
    reader.problem(`MAILSHIELD_SMTP_PROXY_PEERS: ${peer} is not an IP address`);
  }
  if (proxyPeers.length > 0 && !proxyProtocol) {
    reader.problem('MAILSHIELD_SMTP_PROXY_PEERS needs MAILSHIELD_SMTP_PROXY_PROTOCOL=true');
  }
  const clusterNetworks = reader.list('MAILSHIELD_CLUSTER_NETWORKS', []);
  for (const entry of parseTrustedNetworks(clusterNetworks).invalid) {
    reader.problem(`MAILSHIELD_CLUSTER_NETWORKS: ${entry} is not a CIDR network`);
  }
  const common = readCommonOptions(reader, 'interceptor');
  const stateDir = resolve(common.stateDir);
  const options: InterceptorOptions = {
    ...common,
    stateDir,
    smtp: {
      host: reader.string('MAILSHIELD_SMTP_HOST', '127.0.0.1'),
      port: reader.integer('MAILSHIELD_SMTP_PORT', 2525, 0, 65535),
    },
    smtpHostname: reader.string('MAILSHIELD_SMTP_HOSTNAME', hostname()),
    tlsCertFile,
    tlsKeyFile,
    proxyProtocol,
    proxyPeers,
    clusterNetworks,
    drainSeconds: reader.number('MAILSHIELD_SMTP_DRAIN_SECONDS', 20),
    nextHop: reader.optionalAddress('MAILSHIELD_NEXT_HOP'),
    nextHopVerifyTls: reader.boolean('MAILSHIELD_NEXT_HOP_TLS_VERIFY', true),
    nextHopRetrySeconds: reader.number('MAILSHIELD_NEXT_HOP_RETRY_SECONDS', 5, 0),
    deliveryRetryDelaySeconds: reader.number('MAILSHIELD_DELIVERY_RETRY_DELAY_SECONDS', 300, 1),
    deliveryMaxAgeSeconds: reader.number('MAILSHIELD_DELIVERY_MAX_AGE_SECONDS', 5 * 86_400, 1),
    deliveryDir: resolve(reader.string('MAILSHIELD_DELIVERY_DIR', join(stateDir, 'delivered'))),
    grpcPort: reader.integer('MAILSHIELD_INTERCEPTOR_GRPC_PORT', 50051, 0, 65535),
    metricsPort: reader.integer('MAILSHIELD_INTERCEPTOR_METRICS_PORT', 9101, 0, 65535),
    bus: readBusOptions(reader, stateDir, common.instance),
  };
  reader.done();
  return Object.freeze(options);
}
