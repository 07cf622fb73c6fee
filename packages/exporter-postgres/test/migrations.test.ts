import { ChatDebugError, InvalidArgumentError, OPERATIONS, RUN_KIND_PATTERN, STATUSES } from '@chatdebug/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OwnedPool } from '../src/index.js';
import { LATEST_SCHEMA_VERSION, PostgresExporter, STEP_NUMBER_CONSTRAINT, createPGliteDb, migrate } from '../src/index.js';
import { BACKENDS, capturingLogger, dropSchema, eventually, randomSchema, serverPool } from './support.js';

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
  it('waits while another session holds the migration lock, then proceeds', async () => {
    const pool = serverPool({ max: 4 });
    const schema = randomSchema('cdlock');
    const holder = await pool.connect();
    try {
      await holder.query("SELECT pg_advisory_lock(hashtext('chatdebug.migrate'), hashtext($1))", [schema]);
      let settled = false;
      const pending = migrate(pool, { schema, logger: quiet() }).finally(() => {
        settled = true;
      });
      // The migration's session shows up as waiting on the advisory lock.
      await eventually(async () => {
        const waiting = await pool.query(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
             AND objid::bigint = (hashtext($1)::bigint & 4294967295)`,
          [schema],
        );
        return (waiting.rows[0] as { n: number }).n > 0;
      });
      expect(settled).toBe(false);
      await holder.query("SELECT pg_advisory_unlock(hashtext('chatdebug.migrate'), hashtext($1))", [schema]);
      await expect(pending).resolves.toMatchObject({ applied: [1, 2] });
    } finally {
      holder.release();
      await dropSchema(pool, schema);
      await pool.end();
    }
  });
});
