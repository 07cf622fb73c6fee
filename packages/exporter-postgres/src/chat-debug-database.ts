import type { Clock, Logger } from '@chatdebug/sdk';
import type { OwnedPool, PoolLike } from './db/queryable.js';
import { PostgresEventBus } from './postgres-event-bus.js';
import { PostgresExporter } from './postgres-exporter.js';
import { PostgresSettingsStore } from './postgres-settings-store.js';

/**
 * A migrated database with everything the service needs on it, from {@link openPostgres} or
 * {@link openEmbedded}: hand `exporter`, `settings` and `eventBus` to `DebugService` (or a tracer).
 */
export interface ChatDebugDatabase {
  /** The pool (or PGlite adapter) everything runs on. */
  readonly db: PoolLike;
  readonly exporter: PostgresExporter;
  readonly settings: PostgresSettingsStore;
  readonly eventBus: PostgresEventBus;
  /** The schema the tables live in. */
  readonly schema: string;
  /** Shuts the bus and exporter down, then ends the pool (or closes PGlite). Runs once. */
  close(): Promise<void>;
}

/** Builds the components on an owned, migrated pool; `close()` ends the pool last. Internal. */
export function assembleDatabase(
  db: OwnedPool,
  options: {
    schema: string;
    logger?: Logger;
    clock?: Clock;
    connectionString?: string;
    connectionTimeoutMillis?: number;
    keepAliveInitialDelayMillis?: number;
    preparedStatements?: boolean;
  },
): ChatDebugDatabase {
  const { schema, logger, preparedStatements } = options;
  const exporter = new PostgresExporter({ pool: db, schema, logger, preparedStatements });
  const settings = new PostgresSettingsStore({ pool: db, schema, logger, preparedStatements });
  const eventBus = new PostgresEventBus({
    db,
    connectionString: options.connectionString,
    connectionTimeoutMillis: options.connectionTimeoutMillis,
    keepAliveInitialDelayMillis: options.keepAliveInitialDelayMillis,
    logger,
    clock: options.clock,
  });
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await eventBus.shutdown();
      await Promise.all([exporter.shutdown(), settings.shutdown()]);
      await db.end();
    })());
  return { db, exporter, settings, eventBus, schema, close };
}
