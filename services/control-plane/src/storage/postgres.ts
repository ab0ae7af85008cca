import pg from 'pg';

/** A PostgreSQL pool plus the schema that holds the control plane's tables. */
export interface Database {
  pool: pg.Pool;
  /** Quoted schema name, ready to prefix a table name. */
  schema: string;
}

export function openDatabase(url: string, schema: string): Database {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
  const pool = new pg.Pool({ connectionString: url, max: 5, connectionTimeoutMillis: 5000 });
  // An idle client that loses its server emits 'error' on the pool, which would crash the
  // process without a listener. The next query opens a new connection anyway.
  pool.on('error', () => undefined);
  return { pool, schema: `"${schema}"` };
}

/** Runs `work` in a transaction that holds an advisory lock named by `lockName`. */
export async function inLockedTransaction<T>(
  db: Database,
  lockName: string,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${db.schema}.${lockName}`]);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Creates the schema and tables when they are missing; safe to run from several replicas at once. */
export async function migrate(db: Database): Promise<void> {
  const s = db.schema;
  await inLockedTransaction(db, 'migrate', async (client) => {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.policy_versions (
      version bigint PRIMARY KEY,
      policy jsonb NOT NULL,
      actor text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.backups (
      id text COLLATE "C" PRIMARY KEY,
      mail_from text NOT NULL,
      rcpt_to text[] NOT NULL,
      subject text NOT NULL,
      status text NOT NULL,
      action text NOT NULL,
      size_bytes bigint NOT NULL,
      stored_at timestamptz NOT NULL,
      released_at timestamptz,
      raw bytea NOT NULL,
      record bytea NOT NULL,
      outcome bytea NOT NULL
    )`);
    await client.query(
      `CREATE INDEX IF NOT EXISTS backups_newest_first ON ${s}.backups (stored_at DESC, id DESC)`,
    );
    await client.query(
      `CREATE INDEX IF NOT EXISTS backups_status ON ${s}.backups (status, stored_at DESC, id DESC)`,
    );
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.backup_releases (
      backup_id text NOT NULL REFERENCES ${s}.backups (id),
      released_at timestamptz NOT NULL,
      actor text NOT NULL,
      recipients text[] NOT NULL
    )`);
    await migrateLearning(client, s);
    await migrateAudit(client, s);
  });
}

/** Tables of the antispam classifier's learned state; see PgLearningStore. */
async function migrateLearning(client: pg.PoolClient, s: string): Promise<void> {
  await client.query(`CREATE TABLE IF NOT EXISTS ${s}.learning_messages (
    message_id text COLLATE "C" PRIMARY KEY,
    label text NOT NULL CHECK (label IN ('spam', 'ham')),
    tokens text[] NOT NULL,
    actor text NOT NULL,
    learned_at timestamptz NOT NULL
  )`);
  await client.query(`CREATE TABLE IF NOT EXISTS ${s}.learning_tokens (
    token text COLLATE "C" PRIMARY KEY,
    spam bigint NOT NULL CHECK (spam >= 0),
    ham bigint NOT NULL CHECK (ham >= 0)
  )`);
  await client.query(`CREATE TABLE IF NOT EXISTS ${s}.learning_state (
    id int PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL,
    spam_messages bigint NOT NULL,
    ham_messages bigint NOT NULL
  )`);
  await client.query(
    `INSERT INTO ${s}.learning_state (id, version, spam_messages, ham_messages)
     VALUES (1, 0, 0, 0) ON CONFLICT (id) DO NOTHING`,
  );
}

/** Creates the audit log table and the indexes of its filters; see PgAuditLog. */
async function migrateAudit(client: pg.PoolClient, s: string): Promise<void> {
  await client.query(`CREATE TABLE IF NOT EXISTS ${s}.audit_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    target text NOT NULL,
    detail text NOT NULL
  )`);
  await client.query(
    `CREATE INDEX IF NOT EXISTS audit_log_target ON ${s}.audit_log (target, id DESC)`,
  );
  await client.query(
    `CREATE INDEX IF NOT EXISTS audit_log_actor ON ${s}.audit_log (actor, id DESC)`,
  );
}
