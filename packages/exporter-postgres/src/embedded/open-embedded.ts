import type { Clock, Logger } from '@chatdebug/sdk';
import type { ChatDebugDatabase } from '../chat-debug-database.js';
import { assembleDatabase } from '../chat-debug-database.js';
import { migrate } from '../migrations/migrate.js';
import { createPGliteDb } from './create-pglite-db.js';

/** Options of {@link openEmbedded}. */
export interface OpenEmbeddedOptions {
  /** Directory of the database files (created when missing). @defaultValue undefined (in memory) */
  dataDir?: string;
  /** @defaultValue 'public' */
  schema?: string;
  /** @defaultValue `consoleLogger` */
  logger?: Logger;
  /** @defaultValue `systemClock` */
  clock?: Clock;
}

/**
 * Starts an embedded PostgreSQL (PGlite), applies the migrations and returns the exporter,
 * settings store and event bus on it: chatdebug with no server at all.
 *
 * @example
 * ```ts
 * const store = await openEmbedded({ dataDir: '.chatdebug/db' });
 * const service = new DebugService({ exporter: store.exporter, settings: store.settings, eventBus: store.eventBus });
 * // ...
 * await store.close();
 * ```
 */
export async function openEmbedded(options: OpenEmbeddedOptions = {}): Promise<ChatDebugDatabase> {
  const db = await createPGliteDb({ dataDir: options.dataDir, logger: options.logger });
  try {
    const { schema } = await migrate(db, { schema: options.schema, logger: options.logger, clock: options.clock });
    return assembleDatabase(db, { schema, logger: options.logger, clock: options.clock });
  } catch (error) {
    await db.end();
    throw error;
  }
}
