import type { Clock } from '@chatdebug/sdk';
import type { ChatDebugDatabase } from './chat-debug-database.js';
import { assembleDatabase } from './chat-debug-database.js';
import type { CreatePoolOptions } from './db/create-pool.js';
import { createPool } from './db/create-pool.js';
import { tableNames } from './db/identifiers.js';
import { migrate } from './migrations/migrate.js';

/** Options of {@link openPostgres}. */
export interface OpenPostgresOptions extends CreatePoolOptions {
  /** @defaultValue 'public' */
  schema?: string;
  /** Apply the migrations first. @defaultValue true */
  migrate?: boolean;
  /**
   * How long the migrations wait for another instance migrating the same schema (the
   * `lockTimeoutMillis` of {@link migrate}); 0 waits without limit.
   * @defaultValue 300_000 (milliseconds)
   */
  migrationLockTimeoutMillis?: number;
  /** Timers of the migration lock wait and of the event listener. @defaultValue `systemClock` */
  clock?: Clock;
  /** Named prepared statements, as in `PostgresExporter`'s options. @defaultValue true */
  preparedStatements?: boolean;
}

/**
 * Connects to a PostgreSQL server: one pool (created here, ended by `close()`), the migrations
 * applied, and the exporter, settings store and event bus (with its own listening connection)
 * on it.
 *
 * @example
 * ```ts
 * const store = await openPostgres({ connectionString: process.env.DATABASE_URL! });
 * const service = new DebugService({ exporter: store.exporter, settings: store.settings, eventBus: store.eventBus });
 * ```
 */
export async function openPostgres(options: OpenPostgresOptions): Promise<ChatDebugDatabase> {
  const { schema } = tableNames(options.schema);
  const db = await createPool(options);
  try {
    if (options.migrate !== false) {
      await migrate(db, { schema, logger: options.logger, clock: options.clock, lockTimeoutMillis: options.migrationLockTimeoutMillis });
    }
    return assembleDatabase(db, {
      schema,
      logger: options.logger,
      preparedStatements: options.preparedStatements,
      clock: options.clock,
      connectionString: options.connectionString,
      connectionTimeoutMillis: options.connectionTimeoutMillis,
      keepAliveInitialDelayMillis: options.keepAliveInitialDelayMillis,
    });
  } catch (error) {
    await db.end();
    throw error;
  }
}
