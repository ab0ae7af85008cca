import { credentials, Metadata, type ChannelOptions } from '@grpc/grpc-js';
import { context, propagation } from '@opentelemetry/api';
import type { HostPort } from '../env.js';
import { formatHostPort } from '../env.js';

/** Channel settings shared by every mailshield gRPC client. */
export const clientChannelOptions: ChannelOptions = {
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.max_send_message_length': 64 * 1024 * 1024,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 5_000,
};

export const insecureCredentials = credentials.createInsecure();

export function target(address: HostPort): string {
  return formatHostPort(address);
}

/** Metadata carrying the active trace context, so spans on the server join the caller's trace. */
export function traceMetadata(): Metadata {
  const metadata = new Metadata();
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  for (const [key, value] of Object.entries(carrier)) metadata.set(key, value);
  return metadata;
}

/** Reads the trace context that a caller sent in gRPC metadata. */
export function contextFromMetadata(metadata: Metadata): ReturnType<typeof context.active> {
  const carrier: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata.getMap())) {
    if (typeof value === 'string') carrier[key] = value;
  }
  return propagation.extract(context.active(), carrier);
}

/** A deadline `seconds` from now, for a gRPC call option. */
export function deadlineIn(seconds: number): Date {
  return new Date(Date.now() + seconds * 1000);
}
