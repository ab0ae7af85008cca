import { Policy } from '@mailshield/proto/policy';
import { inLockedTransaction, migrate, type Database } from '../storage/postgres.js';
import { prepareNextVersion, type PolicyStore, type PolicyVersion } from './policy-store.js';

interface VersionRow {
  version: string;
  policy: unknown;
  actor: string;
  created_at: Date;
}

/** Policy versions as rows of `policy_versions` in PostgreSQL; every replica reads the newest row. */
export class PgPolicyStore implements PolicyStore {
  constructor(private readonly db: Database) {}

  async open(seed: Policy): Promise<void> {
    await migrate(this.db);
    await inLockedTransaction(this.db, 'policy', async (client) => {
      const result = await client.query(`SELECT 1 FROM ${this.db.schema}.policy_versions LIMIT 1`);
      if (result.rowCount === 0) await this.insert(client, prepareNextVersion(seed, 0, 0), 'seed');
    });
  }

  async get(): Promise<Policy> {
    const rows = await this.select(this.db.pool, 1);
    if (rows[0] === undefined) throw new Error('policy store is not open');
    return rows[0].policy;
  }

  set(policy: Policy, expectedVersion: number, actor: string): Promise<Policy> {
    return inLockedTransaction(this.db, 'policy', async (client) => {
      const current = await this.select(client, 1);
      const next = prepareNextVersion(policy, expectedVersion, current[0]?.policy.version ?? 0);
      await this.insert(client, next, actor);
      return next;
    });
  }

  history(limit: number): Promise<PolicyVersion[]> {
    return this.select(this.db.pool, limit);
  }

  async version(version: number): Promise<PolicyVersion | undefined> {
    const result = await this.db.pool.query<VersionRow>(
      `SELECT version, policy, actor, created_at FROM ${this.db.schema}.policy_versions
       WHERE version = $1`,
      [version],
    );
    return result.rows.map(toPolicyVersion)[0];
  }

  /** The pool belongs to whoever opened the database, so it stays open. */
  async close(): Promise<void> {}

  private async insert(client: Queryable, policy: Policy, actor: string): Promise<void> {
    await client.query(
      `INSERT INTO ${this.db.schema}.policy_versions (version, policy, actor) VALUES ($1, $2, $3)`,
      [policy.version, JSON.stringify(Policy.toJSON(policy)), actor],
    );
  }

  private async select(client: Queryable, limit: number): Promise<PolicyVersion[]> {
    const result = await client.query<VersionRow>(
      `SELECT version, policy, actor, created_at FROM ${this.db.schema}.policy_versions
       ORDER BY version DESC LIMIT $1`,
      [limit],
    );
    return result.rows.map(toPolicyVersion);
  }
}

function toPolicyVersion(row: VersionRow): PolicyVersion {
  return {
    policy: { ...Policy.fromJSON(row.policy), version: Number(row.version) },
    actor: row.actor,
    storedAt: row.created_at,
  };
}

type Queryable = Pick<Database['pool'], 'query'>;
