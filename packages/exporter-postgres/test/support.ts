import { randomBytes } from 'node:crypto';
import type { Clock, Logger, TimerHandle } from '@chatdebug/sdk';
import { systemClock } from '@chatdebug/sdk';
import pg from 'pg';
import type { OwnedPool, PoolLike } from '../src/index.js';
import { PostgresExporter, PostgresSettingsStore, createPGliteDb, migrate } from '../src/index.js';

/** Set by CI (and locally: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/test`). */
export const DATABASE_URL = process.env.DATABASE_URL;

/** True when a real PostgreSQL server is available to this run. */
export const HAS_SERVER = DATABASE_URL !== undefined && DATABASE_URL !== '';

/** A fresh, valid schema name, so test files never share tables. */
export function randomSchema(prefix = 'cdtest'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** A `pg.Pool` on the test server, with the `error` listener every pool needs. */
export function serverPool(options: { max?: number; applicationName?: string } = {}): pg.Pool {
  if (!HAS_SERVER) throw new Error('DATABASE_URL is not set');
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: options.max ?? 8, application_name: options.applicationName });
  pool.on('error', () => undefined);
  return pool;
}

/** Log lines captured instead of printed. */
export interface CapturedLog {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  attributes?: Record<string, unknown>;
}

export function capturingLogger(): { logger: Logger; lines: CapturedLog[] } {
  const lines: CapturedLog[] = [];
  const log = (level: CapturedLog['level']) => (message: string, attributes?: Record<string, unknown>) => void lines.push({ level, message, attributes });
  return { logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }, lines };
}

/**
 * A clock whose time only moves when told; timers are real (only `finalizeRun`'s deadline and the
 * listener's reconnect backoff use them here).
 */
export class ManualClock implements Clock {
  #now: number;

  constructor(start: Date | number = Date.UTC(2026, 2, 1, 12)) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  nowMillis(): number {
    return this.#now;
  }

  set(time: Date | number): Date {
    this.#now = typeof time === 'number' ? time : time.getTime();
    return this.now();
  }

  advance(millis: number): Date {
    this.#now += millis;
    return this.now();
  }

  setTimeout(callback: () => void, millis: number): TimerHandle {
    return systemClock.setTimeout(callback, millis);
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    systemClock.clearTimeout(handle);
  }

  setInterval(callback: () => void, millis: number): TimerHandle {
    return systemClock.setInterval(callback, millis);
  }

  clearInterval(handle: TimerHandle | undefined): void {
    systemClock.clearInterval(handle);
  }
}

/** Which database a parametrized test runs on. */
export type BackendKind = 'pglite' | 'postgres';

/** The backends of this run: PGlite always, the server when `DATABASE_URL` is set. */
export const BACKENDS: readonly { kind: BackendKind; enabled: boolean }[] = [
  { kind: 'pglite', enabled: true },
  { kind: 'postgres', enabled: HAS_SERVER },
];

/** A migrated schema of its own on one backend, with the exporter and settings store on it. */
export interface TestDatabase {
  kind: BackendKind;
  db: OwnedPool;
  schema: string;
  exporter: PostgresExporter;
  settings: PostgresSettingsStore;
  /** Quoted, schema-qualified table name. */
  table(name: 'chat_debug_runs' | 'chat_debug_steps' | 'chat_debug_site_settings' | 'chat_debug_user_settings'): string;
  /** Empties every chatdebug table (not the migrations record). */
  truncate(): Promise<void>;
  /** Drops the schema and ends the pool (or closes PGlite). */
  close(): Promise<void>;
}

/**
 * Opens a fresh schema on the given backend and migrates it: on a new PGlite instance or server
 * pool, or on `options.db` (which `close()` then leaves open).
 */
export async function openTestDatabase(kind: BackendKind, options: { max?: number; db?: OwnedPool } = {}): Promise<TestDatabase> {
  const db: OwnedPool = options.db ?? (kind === 'pglite' ? await createPGliteDb() : serverPool({ max: options.max }));
  const schema = randomSchema();
  await migrate(db, { schema, logger: capturingLogger().logger });
  const exporter = new PostgresExporter({ pool: db, schema });
  const settings = new PostgresSettingsStore({ pool: db, schema });
  const table: TestDatabase['table'] = (name) => `"${schema}"."${name}"`;
  return {
    kind,
    db,
    schema,
    exporter,
    settings,
    table,
    truncate: async () => {
      await db.query(
        `TRUNCATE ${table('chat_debug_steps')}, ${table('chat_debug_runs')}, ${table('chat_debug_site_settings')}, ${table('chat_debug_user_settings')}`,
      );
    },
    close: async () => {
      await exporter.shutdown();
      await settings.shutdown();
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      if (!options.db) await db.end();
    },
  };
}

/** Drops a schema on a pool (cleanup of tests that create their own). */
export async function dropSchema(db: PoolLike, schema: string): Promise<void> {
  await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/**
 * Polls `check` (every `intervalMillis`) until it returns true or `timeoutMillis` passes; for
 * things that happen asynchronously (a reconnect, a notification), never a fixed sleep.
 */
export async function eventually(check: () => boolean | Promise<boolean>, options: { timeoutMillis?: number; intervalMillis?: number } = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMillis ?? 10_000);
  const interval = options.intervalMillis ?? 10;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
