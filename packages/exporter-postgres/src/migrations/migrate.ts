import type { Logger } from '@chatdebug/sdk';
import { ChatDebugError, consoleLogger, describeError } from '@chatdebug/sdk';
import { keepsConnection } from '../db/database-errors.js';
import { quoteIdentifier, tableNames } from '../db/identifiers.js';
import type { PoolClientLike, PoolLike } from '../db/queryable.js';
import { MIGRATIONS } from './migration-list.js';

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /**
   * Schema to create the tables in; created when missing. Must match `^[a-z_][a-z0-9_]{0,39}$`.
   * @defaultValue 'public'
   */
  schema?: string;
  /** Receives one info line per applied migration. @defaultValue `consoleLogger` */
  logger?: Logger;
}

/** What {@link migrate} did. */
export interface MigrateResult {
  schema: string;
  /** Versions applied by this call, in order; empty when the schema was already current. */
  applied: number[];
  /** The schema version after the call. */
  version: number;
}

/** First key of the advisory lock; the second is the schema name's hash. */
const LOCK_NAMESPACE = 'chatdebug.migrate';

/**
 * Brings chatdebug's tables in `schema` up to date. Idempotent: applied versions are recorded in
 * `chat_debug_schema_migrations` and skipped. Several application instances may call it at once:
 * a session-level advisory lock on one held connection serializes them, and the later ones find
 * nothing left to do. Each migration runs in its own transaction.
 *
 * Throws `InvalidArgumentError` for a bad schema name and `ChatDebugError` with code
 * `migration_failed` (the driver's error as `cause`) when a statement fails.
 *
 * @example
 * ```ts
 * await migrate(pool, { schema: 'chatdebug' });
 * ```
 */
export async function migrate(db: PoolLike, options: MigrateOptions = {}): Promise<MigrateResult> {
  const tables = tableNames(options.schema);
  const logger = options.logger ?? consoleLogger;
  let client: PoolClientLike;
  try {
    client = await db.connect();
  } catch (error) {
    throw failure('could not get a connection', error);
  }
  // The connection is held across awaits: without a listener of our own, a backend killed
  // meanwhile would raise an uncaught 'error' event. A connection that failed is destroyed.
  let lost: Error | undefined;
  const onError = (error: Error): void => {
    lost ??= error;
    logger.warn('the migration connection failed', { error: describeError(error) });
  };
  client.on('error', onError);
  const run = async (text: string, values?: unknown[]) => {
    try {
      return await client.query(text, values);
    } catch (error) {
      if (!keepsConnection(error)) lost ??= error instanceof Error ? error : new Error(String(error));
      throw error;
    }
  };
  const lockKeys = [LOCK_NAMESPACE, tables.schema];
  let locked = false;
  let unlocked = false;
  try {
    await run('SELECT pg_advisory_lock(hashtext($1), hashtext($2))', lockKeys);
    locked = true;
    const schemaExists = await run('SELECT 1 FROM pg_namespace WHERE nspname = $1', [tables.schema]);
    if (schemaExists.rows.length === 0) await run(`CREATE SCHEMA ${quoteIdentifier(tables.schema)}`);
    await run(
      `CREATE TABLE IF NOT EXISTS ${tables.migrations} (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`,
    );
    const recorded = await run(`SELECT version FROM ${tables.migrations}`);
    const done = new Set((recorded.rows as { version: number }[]).map((row) => Number(row.version)));
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await run('BEGIN');
      try {
        for (const statement of migration.statements(tables)) await run(statement);
        await run(`INSERT INTO ${tables.migrations} (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
        await run('COMMIT');
      } catch (error) {
        await run('ROLLBACK').catch(() => undefined);
        throw failure(`migration ${migration.version} (${migration.name}) failed`, error);
      }
      applied.push(migration.version);
      done.add(migration.version);
      logger.info('applied a chatdebug migration', { schema: tables.schema, version: migration.version, name: migration.name });
    }
    return { schema: tables.schema, applied, version: Math.max(0, ...done) };
  } catch (error) {
    throw failure(`migrating schema "${tables.schema}" failed`, error);
  } finally {
    if (locked && lost === undefined) {
      try {
        await run('SELECT pg_advisory_unlock(hashtext($1), hashtext($2))', lockKeys);
        unlocked = true;
      } catch (error) {
        logger.warn('could not release the migration lock; closing the connection instead', { error: describeError(error) });
      }
    }
    client.removeListener('error', onError);
    // A connection that may still hold the session lock, or that failed, is destroyed, not reused.
    const broken = lost ?? (locked && !unlocked);
    client.release(broken === false ? undefined : broken);
  }
}

function failure(message: string, error: unknown): ChatDebugError {
  if (ChatDebugError.is(error, 'migration_failed')) return error;
  return new ChatDebugError('migration_failed', `${message}: ${describeError(error)}`, { cause: error });
}
