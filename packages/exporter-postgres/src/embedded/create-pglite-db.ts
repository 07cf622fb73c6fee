import type { PGlite as PGliteInstance } from '@electric-sql/pglite';
import type { Logger } from '@chatdebug/sdk';
import { ChatDebugError } from '@chatdebug/sdk';
import { PGliteAdapter } from './pglite-adapter.js';

/** Options of {@link createPGliteDb}. */
export interface CreatePGliteDbOptions {
  /**
   * Directory holding the database files (created when missing); in memory when absent.
   * @defaultValue undefined (in memory)
   */
  dataDir?: string;
  /** @defaultValue `consoleLogger` */
  logger?: Logger;
}

/**
 * Starts an embedded PostgreSQL (PGlite, loaded on first use from the optional peer dependency
 * `@electric-sql/pglite`) and wraps it in a {@link PGliteAdapter} that owns it: `end()` closes it.
 * Startup takes a few seconds.
 *
 * @example
 * ```ts
 * const db = await createPGliteDb({ dataDir: '.chatdebug/db' });
 * await migrate(db);
 * ```
 */
export async function createPGliteDb(options: CreatePGliteDbOptions = {}): Promise<PGliteAdapter> {
  let PGlite: typeof PGliteInstance;
  try {
    ({ PGlite } = await import('@electric-sql/pglite'));
  } catch (error) {
    throw new ChatDebugError('exporter_failed', 'embedded mode needs the "@electric-sql/pglite" package; install it (npm install @electric-sql/pglite)', { cause: error });
  }
  let pglite: PGliteInstance;
  try {
    pglite = options.dataDir === undefined ? await PGlite.create() : await PGlite.create({ dataDir: options.dataDir });
  } catch (error) {
    throw new ChatDebugError('exporter_failed', `could not start the embedded database: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return new PGliteAdapter(pglite, { ownsInstance: true, logger: options.logger });
}
