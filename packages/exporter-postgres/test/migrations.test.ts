import { ChatDebugError, InvalidArgumentError, OPERATIONS, RUN_KIND_PATTERN, STATUSES } from '@chatdebug/sdk';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MigrateOptions, OwnedPool, PoolLike } from '../src/index.js';
import { LATEST_SCHEMA_VERSION, PostgresExporter, STEP_NUMBER_CONSTRAINT, createPGliteDb, createPool, migrate } from '../src/index.js';
import { BACKENDS, DATABASE_URL, capturingLogger, dropSchema, eventually, randomSchema, serverPool } from './support.js';

const quiet = () => capturingLogger().logger;

for (const backend of BACKENDS) {
  describe.skipIf(!backend.enabled)(`migrate on ${backend.kind}`, () => {
    let db: OwnedPool;
    const schemas: string[] = [];
    const fresh = () => {
      const schema = randomSchema('cdmig');
      schemas.push(schema);
      return schema;
    };

    beforeAll(async () => {
      db = backend.kind === 'pglite' ? await createPGliteDb() : serverPool();
    });
    afterAll(async () => {
      for (const schema of schemas) await dropSchema(db, schema).catch(() => undefined);
      await db?.end();
    });

    it('creates the schema and applies every version once; a second call is a no-op', async () => {
      const schema = fresh();
      const first = await migrate(db, { schema, logger: quiet() });
      expect(first).toEqual({ schema, applied: [1, 2], version: LATEST_SCHEMA_VERSION });
      const second = await migrate(db, { schema, logger: quiet() });
      expect(second).toEqual({ schema, applied: [], version: LATEST_SCHEMA_VERSION });
      const recorded = await db.query(`SELECT version, name FROM "${schema}".chat_debug_schema_migrations ORDER BY version`);
      expect(recorded.rows).toEqual([
        { version: 1, name: 'runs_and_steps' },
        { version: 2, name: 'settings' },
      ]);
    });

    it('two concurrent calls both succeed and apply each version exactly once', async () => {
      const schema = fresh();
      const results = await Promise.all([migrate(db, { schema, logger: quiet() }), migrate(db, { schema, logger: quiet() })]);
      expect(results.map((r) => r.version)).toEqual([LATEST_SCHEMA_VERSION, LATEST_SCHEMA_VERSION]);
      expect(results.flatMap((r) => r.applied).sort()).toEqual([1, 2]);
    });

    it('rejects invalid schema names with InvalidArgumentError, before touching the database', async () => {
      for (const schema of ['Bad', '1abc', 'a-b', 'a b', 'x'.repeat(41), 'pg_catalog', 'pg_x', '', 'a"; DROP TABLE x; --']) {
        const error = await migrate(db, { schema }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, schema).toBeInstanceOf(InvalidArgumentError);
        expect((error as InvalidArgumentError).field).toBe('schema');
      }
      expect(() => new PostgresExporter({ pool: db, schema: 'Nope' })).toThrow(InvalidArgumentError);
    });

    it('rejects a lockTimeoutMillis that is not a non-negative integer', async () => {
      for (const lockTimeoutMillis of [-1, 1.5, Number.NaN]) {
        await expect(migrate(db, { schema: fresh(), lockTimeoutMillis })).rejects.toMatchObject({ field: 'lockTimeoutMillis' });
      }
    });

    it('creates the step-number index under its exact name, the listing and partial stale indexes', async () => {
      const schema = fresh();
      await migrate(db, { schema, logger: quiet() });
      const indexes = await db.query('SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1', [schema]);
      const byName = new Map((indexes.rows as { indexname: string; indexdef: string }[]).map((row) => [row.indexname, row.indexdef]));
      expect(byName.get(STEP_NUMBER_CONSTRAINT)).toMatch(/UNIQUE INDEX .* \(run_id, step_number\)/);
      expect(byName.get('idx_chat_debug_runs_id_chat')).toMatch(/UNIQUE INDEX .* \(id, chat_id\)/);
      expect(byName.get('idx_chat_debug_runs_chat_started')).toMatch(/\(chat_id, started_at DESC, id DESC\)/);
      expect(byName.get('idx_chat_debug_runs_stale')).toMatch(/\(updated_at\) WHERE \(finished_at IS NULL\)/);
      expect(byName.get('idx_chat_debug_steps_stale')).toMatch(/\(updated_at\) WHERE \(finished_at IS NULL\)/);
      expect(byName.get('idx_chat_debug_runs_updated')).toMatch(/\(updated_at\)$/);
      expect(byName.get('idx_chat_debug_steps_chat_assistant_msg')).toMatch(/WHERE \(assistant_message_id IS NOT NULL\)/);
      expect(byName.has('idx_chat_debug_steps_chat_tip')).toBe(true);
    });

    it('CHECK constraints list exactly the SDK statuses, operations and run-kind pattern; the steps FK cascades', async () => {
      const schema = fresh();
      await migrate(db, { schema, logger: quiet() });
      const result = await db.query(
        `SELECT conname, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
         JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1`,
        [schema],
      );
      const defs = new Map((result.rows as { conname: string; def: string }[]).map((row) => [row.conname, row.def]));
      const quoted = (def: string | undefined) => [...(def ?? '').matchAll(/'([^']*)'/g)].map((m) => m[1]).sort();
      expect(quoted(defs.get('chat_debug_runs_status_check'))).toEqual([...STATUSES].sort());
      expect(quoted(defs.get('chat_debug_steps_status_check'))).toEqual([...STATUSES].sort());
      expect(quoted(defs.get('chat_debug_steps_operation_check'))).toEqual([...OPERATIONS].sort());
      expect(quoted(defs.get('chat_debug_runs_kind_check'))).toEqual([RUN_KIND_PATTERN.source]);
      expect(defs.get('chat_debug_runs_summary_check')).toContain("jsonb_typeof(summary) = 'object'");
      expect(defs.get('chat_debug_steps_metadata_check')).toContain("jsonb_typeof(metadata) = 'object'");
      expect(defs.get('chat_debug_steps_attempts_check')).toContain("jsonb_typeof(attempts) = 'array'");
      expect(defs.get('fk_chat_debug_steps_run_chat')).toMatch(/FOREIGN KEY \(run_id, chat_id\) REFERENCES .*chat_debug_runs\(id, chat_id\) ON DELETE CASCADE/);
    });

    it('a failing migration rolls back, records nothing, releases the lock and reports migration_failed', async () => {
      const schema = fresh();
      await db.query(`CREATE SCHEMA "${schema}"`);
      await db.query(`CREATE TABLE "${schema}".chat_debug_runs (unrelated integer)`);
      const error = await migrate(db, { schema, logger: quiet() }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(ChatDebugError.is(error, 'migration_failed')).toBe(true);
      expect((error as ChatDebugError).message).toContain('migration 1 (runs_and_steps) failed');
      expect((error as ChatDebugError).cause).toMatchObject({ code: '42P07' });
      const recorded = await db.query(`SELECT count(*)::int AS n FROM "${schema}".chat_debug_schema_migrations`);
      expect(recorded.rows).toEqual([{ n: 0 }]);
      await db.query(`DROP TABLE "${schema}".chat_debug_runs`);
      await expect(migrate(db, { schema, logger: quiet() })).resolves.toMatchObject({ applied: [1, 2] });
    });
  });
}

describe.skipIf(!BACKENDS[1]?.enabled)('migrate on postgres: the advisory lock', () => {
  const WAITING = 'another session is migrating this schema; waiting for its lock';

  /** Holds the migration lock of `schema` on a connection of its own until `release()` (idempotent). */
  const holdLock = async (pool: pg.Pool, schema: string) => {
    const holder = await pool.connect();
    await holder.query("SELECT pg_advisory_lock(hashtext('chatdebug.migrate'), hashtext($1))", [schema]);
    let released: Promise<void> | undefined;
    return {
      release: () =>
        (released ??= (async () => {
          try {
            await holder.query("SELECT pg_advisory_unlock(hashtext('chatdebug.migrate'), hashtext($1))", [schema]);
          } finally {
            holder.release();
          }
        })()),
    };
  };

  /** Starts `migrate` and resolves once it reported the lock busy; `state.settled` tells whether it ended since. */
  const startWaiting = async (db: PoolLike, schema: string, options: MigrateOptions = {}) => {
    const { logger, lines } = capturingLogger();
    const state = { settled: false };
    const result = migrate(db, { schema, logger, ...options }).then(
      (value) => ((state.settled = true), value),
      (error: unknown) => {
        state.settled = true;
        throw error;
      },
    );
    // Rejections are asserted by the tests; never unhandled meanwhile.
    result.catch(() => undefined);
    await eventually(() => state.settled || lines.some((line) => line.message === WAITING));
    return { result, state, lines };
  };

  it('waits while another session holds the migration lock, then proceeds', async () => {
    const pool = serverPool({ max: 4 });
    const schema = randomSchema('cdlock');
    const lock = await holdLock(pool, schema);
    try {
      const { result, state, lines } = await startWaiting(pool, schema);
      expect(state.settled).toBe(false);
      await lock.release();
      await expect(result).resolves.toMatchObject({ applied: [1, 2] });
      expect(lines.some((line) => line.message === 'took the chatdebug migration lock')).toBe(true);
    } finally {
      await lock.release();
      await dropSchema(pool, schema);
      await pool.end();
    }
  });

  it('outwaits the statement_timeout and query_timeout of the pools the package creates', async () => {
    // A blocking pg_advisory_lock would be cancelled by the server after 200 ms, or abandoned
    // by the client after 400 ms; the polled wait is bounded by lockTimeoutMillis alone.
    const admin = serverPool({ max: 2 });
    const pool = await createPool({ connectionString: DATABASE_URL ?? '', statementTimeoutMillis: 200, queryTimeoutMillis: 400, logger: quiet() });
    const schema = randomSchema('cdlock');
    const lock = await holdLock(admin, schema);
    try {
      const { result, state } = await startWaiting(pool, schema);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(state.settled).toBe(false);
      await lock.release();
      await expect(result).resolves.toMatchObject({ applied: [1, 2] });
    } finally {
      await lock.release();
      await dropSchema(admin, schema);
      await pool.end();
      await admin.end();
    }
  });

  it('gives up after lockTimeoutMillis with migration_failed, having changed nothing', async () => {
    const pool = serverPool({ max: 4 });
    const schema = randomSchema('cdlock');
    const lock = await holdLock(pool, schema);
    try {
      const started = performance.now();
      const error = await (await startWaiting(pool, schema, { lockTimeoutMillis: 300 })).result.then(
        () => undefined,
        (e: unknown) => e,
      );
      const elapsed = performance.now() - started;
      expect(ChatDebugError.is(error, 'migration_failed')).toBe(true);
      expect((error as ChatDebugError).message).toContain('after 300 ms (lockTimeoutMillis)');
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(5_000);
      const created = await pool.query('SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1', [schema]);
      expect(created.rows).toEqual([{ n: 0 }]);
    } finally {
      await lock.release();
      await dropSchema(pool, schema);
      await pool.end();
    }
  });
});
