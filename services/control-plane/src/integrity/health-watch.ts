import type { ClientReadableStream } from '@grpc/grpc-js';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import {
  clientChannelOptions,
  DEGRADED_HEALTH_SERVICE,
  dependencyHealthService,
  DependencyNames,
  formatHostPort,
  insecureCredentials,
  type HostPort,
} from '@mailshield/common';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthClient,
  type HealthCheckResponse,
} from '@mailshield/proto/health';
import type { DependencyStatus } from '@mailshield/proto/integrity';

export type Health = 'UNKNOWN' | 'SERVING' | 'DEGRADED' | 'NOT_SERVING' | 'UNREACHABLE';

/** Dependencies whose health services every component may report. */
export const watchedDependencies: readonly string[] = Object.values(DependencyNames);

export interface HealthWatchOptions {
  address: HostPort;
  /** Seconds a new stream may take to send its first status before the address is UNREACHABLE. */
  timeoutSeconds: number;
  /** Maximum wait between two reconnection attempts, in seconds. */
  maxBackoffSeconds: number;
  /** Called after every change of the health, the detail or a dependency. */
  onChange: () => void;
}

/** The last state of one watched health service. */
interface StreamState {
  service: string;
  call: ClientReadableStream<HealthCheckResponse> | undefined;
  /** Last status received, or undefined while no stream is open. */
  status: ServingStatus | undefined;
  /** Reason the stream is not open, such as `UNAVAILABLE: connection refused`. */
  error: string;
  backoffMs: number;
  timer: NodeJS.Timeout | undefined;
}

const INITIAL_BACKOFF_MS = 200;

/**
 * Follows one address with grpc.health.v1 Watch streams: the overall health, the degraded
 * marker and each dependency. A stream that breaks, or sends nothing within the timeout after
 * it opened, makes the address UNREACHABLE and is opened again with doubling backoff. gRPC
 * keepalive pings find a peer that hangs without closing the connection.
 */
export class HealthWatch {
  private readonly client: HealthClient;
  private readonly streams: StreamState[];
  private isClosed = false;

  constructor(private readonly options: HealthWatchOptions) {
    const keepaliveMs = Math.max(1000, options.timeoutSeconds * 1000);
    this.client = new HealthClient(formatHostPort(options.address), insecureCredentials, {
      ...clientChannelOptions,
      'grpc.keepalive_time_ms': Math.max(keepaliveMs, 5000),
      'grpc.keepalive_timeout_ms': keepaliveMs,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.max_reconnect_backoff_ms': options.maxBackoffSeconds * 1000,
    });
    const services = [
      '',
      DEGRADED_HEALTH_SERVICE,
      ...watchedDependencies.map(dependencyHealthService),
    ];
    this.streams = services.map((service) => ({
      service,
      call: undefined,
      status: undefined,
      error: '',
      backoffMs: INITIAL_BACKOFF_MS,
      timer: undefined,
    }));
  }

  get address(): HostPort {
    return this.options.address;
  }

  start(): void {
    for (const stream of this.streams) this.open(stream);
  }

  close(): void {
    this.isClosed = true;
    for (const stream of this.streams) {
      clearTimeout(stream.timer);
      const call = stream.call;
      stream.call = undefined;
      call?.cancel();
    }
    this.client.close();
  }

  /** Health of the address from its overall status and the degraded marker. */
  health(): { health: Health; detail: string } {
    const overall = this.streams[0]!;
    if (overall.status === undefined) {
      if (overall.error === '') return { health: 'UNKNOWN', detail: 'no status received yet' };
      return { health: 'UNREACHABLE', detail: overall.error };
    }
    if (overall.status !== ServingStatus.SERVING) {
      return {
        health: 'NOT_SERVING',
        detail: `health status ${ServingStatus[overall.status] ?? overall.status}`,
      };
    }
    if (this.streams[1]!.status === ServingStatus.NOT_SERVING) {
      return {
        health: 'DEGRADED',
        detail: 'the component reports itself degraded. Check its metrics and logs for the reason.',
      };
    }
    return { health: 'SERVING', detail: '' };
  }

  /** Lists the dependencies the component reports, leaving out those reported SERVICE_UNKNOWN. */
  dependencies(): DependencyStatus[] {
    const reported: DependencyStatus[] = [];
    for (const stream of this.streams.slice(2)) {
      if (stream.status === undefined || stream.status === ServingStatus.SERVICE_UNKNOWN) continue;
      const name = stream.service.slice(dependencyHealthService('').length);
      let health: Health = 'UNKNOWN';
      if (stream.status === ServingStatus.SERVING) health = 'SERVING';
      if (stream.status === ServingStatus.NOT_SERVING) health = 'NOT_SERVING';
      reported.push({ name, health, detail: '' });
    }
    return reported;
  }

  private open(stream: StreamState): void {
    if (this.isClosed) return;
    const call = this.client.watch({ service: stream.service });
    stream.call = call;
    let hasAnswered = false;
    stream.timer = setTimeout(() => {
      this.fail(
        stream,
        call,
        `DEADLINE_EXCEEDED: no health status within ${this.options.timeoutSeconds} s`,
      );
    }, this.options.timeoutSeconds * 1000);
    call.on('data', (response: HealthCheckResponse) => {
      if (stream.call !== call) return;
      if (!hasAnswered) {
        hasAnswered = true;
        clearTimeout(stream.timer);
        stream.backoffMs = INITIAL_BACKOFF_MS;
      }
      stream.status = response.status;
      stream.error = '';
      this.options.onChange();
    });
    // Every end of a stream, cancelled ones included, emits 'error' or 'end'. An 'error' event
    // without a listener would crash the process.
    call.on('error', (err: ServiceError) => {
      const code = GrpcStatus[err.code] ?? String(err.code);
      this.fail(stream, call, `${code}: ${err.details || err.message}`);
    });
    call.on('end', () => this.fail(stream, call, 'UNAVAILABLE: the health stream ended'));
  }

  /** Marks a stream broken and opens it again after the current backoff. */
  private fail(
    stream: StreamState,
    call: ClientReadableStream<HealthCheckResponse>,
    error: string,
  ): void {
    if (stream.call !== call || this.isClosed) return;
    stream.call = undefined;
    clearTimeout(stream.timer);
    call.cancel();
    stream.status = undefined;
    stream.error = error;
    this.options.onChange();
    stream.timer = setTimeout(() => this.open(stream), stream.backoffMs);
    stream.backoffMs = Math.min(stream.backoffMs * 2, this.options.maxBackoffSeconds * 1000);
  }
}
