import {
  context,
  propagation,
  trace,
  SpanStatusCode,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

let provider: NodeTracerProvider | undefined;

/** Spans kept in memory when tracing runs without an exporter endpoint, for tests. */
export const memorySpans = new InMemorySpanExporter();

/**
 * Starts OpenTelemetry tracing for the process. Spans go to the OTLP/HTTP endpoint in
 * `OTEL_EXPORTER_OTLP_ENDPOINT` when it is set; otherwise they are kept in `memorySpans`
 * (bounded by the test that reads them) only when `keepInMemory` is true, and dropped
 * otherwise. Trace context is propagated in W3C `traceparent` form.
 */
export function initTracing(serviceName: string, options: { keepInMemory?: boolean } = {}): void {
  if (provider !== undefined) return;
  const processors: SpanProcessor[] = [];
  if (process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] !== undefined) {
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  }
  if (options.keepInMemory === true) processors.push(new SimpleSpanProcessor(memorySpans));
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: processors,
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
}

export async function shutdownTracing(): Promise<void> {
  await provider?.shutdown();
  provider = undefined;
}

export function getTracer(name: string): Tracer {
  return trace.getTracer(name);
}

/** Writes the trace context of `ctx` into a text carrier such as Kafka headers. */
export function injectTraceContext(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** Reads a trace context from a text carrier. */
export function extractTraceContext(carrier: Record<string, string>): Context {
  return propagation.extract(context.active(), carrier);
}

/** Trace id of a span, or '' for a span that is not recorded. */
export function traceIdOf(span: Span): string {
  const id = span.spanContext().traceId;
  return /^0+$/.test(id) ? '' : id;
}

/**
 * Runs `work` inside a new span named `<service>.<operation>`, child of `parent`; records an
 * exception and an error status when it throws.
 */
export async function withSpan<T>(
  tracer: Tracer,
  name: string,
  parent: Context,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, {}, parent, async (span) => {
    try {
      return await work(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}
