import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Logger } from './logger.js';

/**
 * Creates the metric registry of a service with the process metrics and
 * `mailshield_build_info`. Every metric name starts with `mailshield_<service>_`.
 */
export function createMetricsRegistry(service: string, version = '0.1.0'): Registry {
  const registry = new Registry();
  collectDefaultMetrics({
    register: registry,
    prefix: `mailshield_${service.replace(/-/g, '_')}_`,
  });
  const buildInfo = new Gauge({
    name: 'mailshield_build_info',
    help: 'Always 1; the labels name the service and its version.',
    labelNames: ['service', 'version'],
    registers: [registry],
  });
  buildInfo.set({ service, version }, 1);
  return registry;
}

/** Serves `GET /metrics` from the registry on host:port; port 0 picks a free port. */
export async function startMetricsServer(
  registry: Registry | Registry[],
  host: string,
  port: number,
  logger: Logger,
): Promise<{ server: Server; port: number }> {
  const merged = Array.isArray(registry) ? Registry.merge(registry) : registry;
  const server = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end('not found: metrics are at /metrics\n');
      return;
    }
    merged
      .metrics()
      .then((text) => response.writeHead(200, { 'content-type': merged.contentType }).end(text))
      .catch((err: unknown) => {
        logger.error({ err, event: 'metrics.failed' }, 'metrics collection failed');
        response.writeHead(500).end('metrics collection failed\n');
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  logger.info({ event: 'metrics.listening', host, port: boundPort }, 'metrics server listening');
  return { server, port: boundPort };
}
