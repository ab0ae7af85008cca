import { join } from 'node:path';
import type { Logger } from '../logger.js';
import { JournalBus } from './journal-bus.js';
import { KafkaBus } from './kafka-bus.js';
import type { MessageBus } from './types.js';
import { EnvReader } from '../env.js';

export type BusOptions =
  | {
      kind: 'kafka';
      brokers: string[];
      clientId: string;
      partitions: number;
      maxRecordBytes: number;
    }
  | { kind: 'journal'; dir: string; segmentBytes: number };

/**
 * Reads the bus settings: Kafka when MAILSHIELD_KAFKA_BROKERS is set, else the on-disk journal
 * under `<stateDir>/journal`, which only one process may open.
 */
export function readBusOptions(env: EnvReader, stateDir: string, clientId: string): BusOptions {
  const brokers = env.list('MAILSHIELD_KAFKA_BROKERS', []);
  const maxRecordBytes = env.integer('MAILSHIELD_MAX_RECORD_BYTES', 32 * 1024 * 1024, 1024 * 1024);
  if (brokers.length > 0) {
    return {
      kind: 'kafka',
      brokers,
      clientId,
      partitions: env.integer('MAILSHIELD_KAFKA_PARTITIONS', 4, 1, 10_000),
      maxRecordBytes,
    };
  }
  return { kind: 'journal', dir: join(stateDir, 'journal'), segmentBytes: 64 * 1024 * 1024 };
}

/** Creates and connects the bus. */
export async function createBus(options: BusOptions, logger: Logger): Promise<MessageBus> {
  if (options.kind === 'kafka') {
    const bus = new KafkaBus(options, logger);
    await bus.connect();
    return bus;
  }
  const bus = new JournalBus(options, logger);
  await bus.connect();
  return bus;
}
