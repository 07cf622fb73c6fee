import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatDebugDatabase, MigrateResult } from '@chatdebug/exporter-postgres';
import { createPGliteDb, migrate, openEmbedded, openPostgres } from '@chatdebug/exporter-postgres';
import type { EventBus, Exporter, Logger, SettingsStore } from '@chatdebug/sdk';
import { ChatDebugError, DebugService, NIL_UUID } from '@chatdebug/sdk';
import { CliError } from '../cli-error.js';
import type { DatabaseTarget } from './database-target.js';
import { describeTarget } from './database-target.js';
import { lockDataDir } from './data-dir-lock.js';
import { describeFailure, isMissingSchema } from './failures.js';

/** How long a command waits for a server connection before reporting it unreachable. */
export const CONNECT_TIMEOUT_MILLIS = 5_000;

/**
 * The parts of an open database the commands use: `ChatDebugDatabase` from `openPostgres` or
 * `openEmbedded` fits, and so does any exporter with an event bus (a `MemoryExporter` with an
 * `InProcessEventBus`, for example).
 */
export interface CliDatabase {
  readonly exporter: Exporter;
  readonly eventBus: EventBus;
  readonly settings?: SettingsStore;
}

/** An open database with a service on it; `close()` releases everything the session opened. */
export interface DatabaseSession {
  readonly target: DatabaseTarget | undefined;
  readonly database: CliDatabase;
  readonly service: DebugService;
  close(): Promise<void>;
}

/** Options of {@link openSession}. */
export interface OpenSessionOptions {
  logger: Logger;
  /**
   * `existing`: the tables must be there already (exit 5 otherwise; embedded data directories
   * must exist). `migrate`: apply the migrations first (the demo).
   */
  mode: 'existing' | 'migrate';
}

/**
 * Opens the target: checks that the server answers (exit 4 with a one-line reason otherwise,
 * never the connection string) and that the tables exist, or opens the embedded database under
 * its directory lock.
 */
export async function openSession(target: DatabaseTarget, options: OpenSessionOptions): Promise<DatabaseSession> {
  const database = target.kind === 'server' ? await openServer(target, options.logger, options.mode) : await openLocalEmbedded(target, options);
  const service = new DebugService({ exporter: database.exporter, settings: database.settings, eventBus: database.eventBus, logger: options.logger });
  return { target, database, service, close: () => database.close() };
}

/** A session on a database the caller opened and keeps: `close()` leaves it open. */
export function borrowSession(database: CliDatabase, logger: Logger): DatabaseSession {
  const service = new DebugService({ exporter: database.exporter, settings: database.settings, eventBus: database.eventBus, logger });
  return { target: undefined, database, service, close: async () => undefined };
}

/**
 * Applies the migrations to the target and reports what was applied, without building the rest
 * of a session.
 */
export async function migrateTarget(target: DatabaseTarget, logger: Logger): Promise<MigrateResult> {
  if (target.kind === 'server') {
    const database = await openServer(target, logger, 'connect');
    try {
      return await migrate(database.db, { schema: target.schema, logger });
    } finally {
      await database.close();
    }
  }
  const release = target.dataDir === undefined ? async () => undefined : await lockDataDir(target.dataDir);
  try {
    const db = await startEmbedded(target, () => createPGliteDb({ dataDir: target.dataDir, logger }));
    try {
      return await migrate(db, { schema: target.schema, logger });
    } finally {
      await db.end();
    }
  } finally {
    await release();
  }
}

/**
 * Connects and checks the server answers; then, by `mode`, applies the migrations (`migrate`),
 * checks the tables exist (`existing`), or does nothing more (`connect`).
 */
async function openServer(target: Extract<DatabaseTarget, { kind: 'server' }>, logger: Logger, mode: OpenSessionOptions['mode'] | 'connect'): Promise<ChatDebugDatabase> {
  let database: ChatDebugDatabase;
  try {
    database = await openPostgres({
      connectionString: target.connectionString,
      schema: target.schema,
      migrate: false,
      logger,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MILLIS,
      maxConnections: 4,
    });
  } catch (error) {
    if (ChatDebugError.is(error, 'invalid_argument')) throw new CliError('usage', error.message, { cause: error });
    throw new CliError('unavailable', `cannot open ${describeTarget(target)}: ${describeFailure(error)}`, { cause: error });
  }
  try {
    try {
      await database.db.query('SELECT 1', []);
    } catch (error) {
      throw new CliError('unavailable', `cannot reach ${describeTarget(target)}: ${describeFailure(error)}`, { cause: error });
    }
    if (mode === 'migrate') {
      await migrate(database.db, { schema: target.schema, logger });
    } else if (mode === 'existing') {
      try {
        await database.exporter.getRun(NIL_UUID);
      } catch (error) {
        if (isMissingSchema(error)) {
          throw new CliError('not_migrated', `chatdebug's tables are missing from schema "${target.schema}" on ${describeTarget(target)}: run \`chatdebug migrate\` first`, { cause: error });
        }
        throw error;
      }
    }
    return database;
  } catch (error) {
    await database.close().catch(() => undefined);
    throw error;
  }
}

async function openLocalEmbedded(target: Extract<DatabaseTarget, { kind: 'embedded' }>, options: OpenSessionOptions): Promise<ChatDebugDatabase> {
  const dataDir = target.dataDir;
  if (dataDir === undefined) return startEmbedded(target, () => openEmbedded({ schema: target.schema, logger: options.logger }));
  if (options.mode === 'existing' && !existsSync(join(dataDir, 'PG_VERSION'))) {
    throw new CliError('unavailable', `no embedded database at ${dataDir} (create one with \`chatdebug migrate --data-dir ${dataDir}\`, or run \`chatdebug demo\`)`);
  }
  const release = await lockDataDir(dataDir);
  try {
    const database = await startEmbedded(target, () => openEmbedded({ dataDir, schema: target.schema, logger: options.logger }));
    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        try {
          await database.close();
        } finally {
          await release();
        }
      })());
    return { ...database, close };
  } catch (error) {
    await release();
    throw error;
  }
}

async function startEmbedded<T>(target: DatabaseTarget, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError('unavailable', `cannot open ${describeTarget(target)}: ${describeFailure(error)}`, { cause: error });
  }
}
