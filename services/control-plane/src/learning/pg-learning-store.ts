import type pg from 'pg';
import { inLockedTransaction, migrate, type Database } from '../storage/postgres.js';
import type {
  LearnedClass,
  LearningStore,
  LearnInput,
  LearnResult,
  StoredModel,
} from './learning-store.js';

interface MessageRow {
  label: LearnedClass;
  tokens: string[];
}

interface StateRow {
  version: string;
  spam_messages: string;
  ham_messages: string;
}

interface TokenRow {
  token: string;
  spam: string;
  ham: string;
}

/**
 * The learned state in PostgreSQL: `learning_messages` (tokens and label per message),
 * `learning_tokens` (counts summed over them) and the one-row `learning_state` (version and
 * message counts). Each Learn is one transaction under an advisory lock, so replicas agree.
 */
export class PgLearningStore implements LearningStore {
  constructor(private readonly db: Database) {}

  async open(): Promise<void> {
    await migrate(this.db);
  }

  learn(input: LearnInput): Promise<LearnResult> {
    const s = this.db.schema;
    return inLockedTransaction(this.db, 'learning', async (client) => {
      const state = await this.readState(client);
      const found = await client.query<MessageRow>(
        `SELECT label, tokens FROM ${s}.learning_messages WHERE message_id = $1`,
        [input.messageId],
      );
      const previous = found.rows[0];
      if (previous?.label === input.label)
        return { version: Number(state.version), changed: false };
      if (previous !== undefined) await this.addCounts(client, previous.tokens, previous.label, -1);
      await this.addCounts(client, input.tokens, input.label, 1);
      await client.query(
        `INSERT INTO ${s}.learning_messages (message_id, label, tokens, actor, learned_at)
         VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (message_id) DO UPDATE SET label = EXCLUDED.label,
           tokens = EXCLUDED.tokens, actor = EXCLUDED.actor, learned_at = EXCLUDED.learned_at`,
        [input.messageId, input.label, input.tokens, input.actor],
      );
      const spamDelta = (input.label === 'spam' ? 1 : 0) - (previous?.label === 'spam' ? 1 : 0);
      const hamDelta = (input.label === 'ham' ? 1 : 0) - (previous?.label === 'ham' ? 1 : 0);
      const updated = await client.query<{ version: string }>(
        `UPDATE ${s}.learning_state SET version = version + 1,
           spam_messages = spam_messages + $1, ham_messages = ham_messages + $2
         WHERE id = 1 RETURNING version`,
        [spamDelta, hamDelta],
      );
      return { version: Number(updated.rows[0]!.version), changed: true };
    });
  }

  async version(): Promise<number> {
    const result = await this.db.pool.query<{ version: string }>(
      `SELECT version FROM ${this.db.schema}.learning_state WHERE id = 1`,
    );
    return Number(result.rows[0]?.version ?? 0);
  }

  async model(): Promise<StoredModel> {
    const client = await this.db.pool.connect();
    try {
      // One snapshot of both tables, so the counts match the version even during a Learn.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const state = await this.readState(client);
      const tokens = await client.query<TokenRow>(
        `SELECT token, spam, ham FROM ${this.db.schema}.learning_tokens ORDER BY token`,
      );
      await client.query('COMMIT');
      return {
        version: Number(state.version),
        snapshot: {
          spamMessages: Number(state.spam_messages),
          hamMessages: Number(state.ham_messages),
          tokens: tokens.rows.map((row) => [row.token, Number(row.spam), Number(row.ham)]),
        },
      };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** The pool belongs to the code that opened the database, so it stays open. */
  async close(): Promise<void> {}

  private async readState(client: pg.PoolClient): Promise<StateRow> {
    const result = await client.query<StateRow>(
      `SELECT version, spam_messages, ham_messages FROM ${this.db.schema}.learning_state
       WHERE id = 1`,
    );
    return result.rows[0] ?? { version: '0', spam_messages: '0', ham_messages: '0' };
  }

  /** Adds `sign` to the `label` count of every token and deletes rows left with no counts. */
  private async addCounts(
    client: pg.PoolClient,
    tokens: string[],
    label: LearnedClass,
    sign: 1 | -1,
  ): Promise<void> {
    const s = this.db.schema;
    const spam = label === 'spam' ? sign : 0;
    const ham = label === 'ham' ? sign : 0;
    if (sign === 1) {
      await client.query(
        `INSERT INTO ${s}.learning_tokens (token, spam, ham)
         SELECT token, $2, $3 FROM unnest($1::text[]) AS token
         ON CONFLICT (token) DO UPDATE SET spam = learning_tokens.spam + EXCLUDED.spam,
           ham = learning_tokens.ham + EXCLUDED.ham`,
        [tokens, spam, ham],
      );
      return;
    }
    await client.query(
      `UPDATE ${s}.learning_tokens SET spam = GREATEST(spam + $2, 0), ham = GREATEST(ham + $3, 0)
       WHERE token = ANY($1::text[])`,
      [tokens, spam, ham],
    );
    await client.query(
      `DELETE FROM ${s}.learning_tokens WHERE token = ANY($1::text[]) AND spam = 0 AND ham = 0`,
      [tokens],
    );
  }
}
