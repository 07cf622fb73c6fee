import type { Clock, Logger } from '@chatdebug/sdk';
import { ChatDebugError, consoleLogger, describeError, systemClock } from '@chatdebug/sdk';
import { keepsConnection } from '../db/database-errors.js';
import { quoteIdentifier, tableNames } from '../db/identifiers.js';
import { guardPool } from '../db/guard-pool.js';
import { nonNegativeMillis } from '../db/option-values.js';
import type { PoolClientLike, PoolLike } from '../db/queryable.js';
import { MIGRATIONS } from './migration-list.js';

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /**
   * Schema to create the tables in; created when missing. Must match `^[a-z_][a-z0-9_]{0,39}$`.
   * @defaultValue 'public'
   */
  schema?: string;
  /**
   * How long to wait for the migration lock while another session (another instance migrating
   * the same schema) holds it, in milliseconds; 0 waits without limit. The wait polls
   * `pg_try_advisory_lock` rather than blocking in one statement, so neither the pool's
   * `statement_timeout` nor its client-side `query_timeout` can cut it short.
   * @defaultValue 300_000 (5 minutes)
   */
  lockTimeoutMillis?: number;
  /** Receives one info line per applied migration, and one when the lock is busy. @defaultValue `consoleLogger` */
  logger?: Logger;
  /** Times the lock wait. @defaultValue `systemClock` */
  clock?: Clock;
}

/** What {@link migrate} did. */
export interface MigrateResult {
  schema: string;
  /** Versions applied by this call, in order; empty when the schema was already current. */
  applied: number[];
  /** The schema version after the call. */
  version: number;
}

/** Default of {@link MigrateOptions.lockTimeoutMillis}: 5 minutes. */
export const DEFAULT_MIGRATION_LOCK_TIMEOUT_MILLIS = 300_000;

/** First key of the advisory lock; the second is the schema name's hash. */
const LOCK_NAMESPACE = 'chatdebug.migrate';

/** Pauses between attempts at a busy lock: doubling from the first to the last, in milliseconds. */
const LOCK_POLL_MILLIS = { first: 25, last: 1_000 } as const;

/**
 * Brings chatdebug's tables in `schema` up to date. Idempotent: applied versions are recorded in
 * `chat_debug_schema_migrations` and skipped. Several application instances may call it at once:
 * a session-level advisory lock on one held connection serializes them (the others wait for it up
 * to `lockTimeoutMillis`), and the later ones find nothing left to do. Each migration runs in its
 * own transaction.
 *
 * Throws `InvalidArgumentError` for a bad schema name or `lockTimeoutMillis`, and
 * `ChatDebugError` with code `migration_failed` when a statement fails (the driver's error as
 * `cause`) or the lock stays busy past `lockTimeoutMillis` (nothing changed then).
 *
 * @example
 * ```ts
 * await migrate(pool, { schema: 'chatdebug' });
 * ```
 */
export async function migrate(db: PoolLike, options: MigrateOptions = {}): Promise<MigrateResult> {
  const tables = tableNames(options.schema);
  const logger = options.logger ?? consoleLogger;
  const clock = options.clock ?? systemClock;
  guardPool(db, logger);
  const lockTimeoutMillis = nonNegativeMillis('lockTimeoutMillis', options.lockTimeoutMillis, DEFAULT_MIGRATION_LOCK_TIMEOUT_MILLIS);
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
    const tryLock = async () => ((await run('SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS locked', lockKeys)).rows[0] as { locked: boolean }).locked;
    await waitForLock(tryLock, { timeoutMillis: lockTimeoutMillis, clock, logger, schema: tables.schema });
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

/**
 * Calls `tryLock` until it takes the lock, pausing between attempts (doubling, up to a second),
 * or throws `migration_failed` once `timeoutMillis` (unless 0) have passed.
 */
async function waitForLock(
  tryLock: () => Promise<boolean>,
  options: { timeoutMillis: number; clock: Clock; logger: Logger; schema: string },
): Promise<void> {
  const { timeoutMillis, clock, logger, schema } = options;
  const started = clock.nowMillis();
  let pause: number = LOCK_POLL_MILLIS.first;
  for (let attempt = 1; ; attempt++) {
    if (await tryLock()) {
      if (attempt > 1) logger.info('took the chatdebug migration lock', { schema, waited_millis: clock.nowMillis() - started });
      return;
    }
    const waited = clock.nowMillis() - started;
    if (attempt === 1) logger.info('another session is migrating this schema; waiting for its lock', { schema, timeout_millis: timeoutMillis });
    if (timeoutMillis > 0 && waited >= timeoutMillis) {
      throw new ChatDebugError('migration_failed', `gave up waiting for the migration lock of schema "${schema}" after ${timeoutMillis} ms (lockTimeoutMillis): another session holds it`);
    }
    await sleep(clock, timeoutMillis > 0 ? Math.min(pause, timeoutMillis - waited) : pause);
    pause = Math.min(pause * 2, LOCK_POLL_MILLIS.last);
  }
}

/** Resolves after `millis`; the timer keeps the process alive, since the caller awaits it. */
function sleep(clock: Clock, millis: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, millis).ref?.());
}

function failure(message: string, error: unknown): ChatDebugError {
  if (ChatDebugError.is(error, 'migration_failed')) return error;
  return new ChatDebugError('migration_failed', `${message}: ${describeError(error)}`, { cause: error });
}
