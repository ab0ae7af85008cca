// Exits 0 when the gRPC server at host:port reports SERVING on grpc.health.v1, 1 otherwise.
// Container health checks run it where no native gRPC probe exists, as in deploy/compose.yaml.
//
// Usage: node deploy/grpc-health-check.js HOST:PORT [SERVICE]
import { credentials, Metadata } from '@grpc/grpc-js';
import { HealthCheckResponse_ServingStatus, HealthClient } from '@mailshield/proto/health';

const [address, service = ''] = process.argv.slice(2);
if (address === undefined) {
  console.error('usage: node deploy/grpc-health-check.js HOST:PORT [SERVICE]');
  process.exit(2);
}

const client = new HealthClient(address, credentials.createInsecure());
client.check(
  { service },
  new Metadata(),
  { deadline: new Date(Date.now() + 3000) },
  (err, response) => {
    client.close();
    if (err !== null) {
      console.error(`health check of ${address} failed: ${err.message}`);
      process.exit(1);
    }
    const serving = response.status === HealthCheckResponse_ServingStatus.SERVING;
    if (!serving) console.error(`${address} is not serving (status ${response.status})`);
    process.exit(serving ? 0 : 1);
  },
);
