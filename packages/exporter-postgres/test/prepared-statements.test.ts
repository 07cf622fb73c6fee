import { DebugService, InvalidArgumentError, newId, silentLogger } from '@chatdebug/sdk';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresExporter, migrate } from '../src/index.js';
import { HAS_SERVER, dropSchema, randomSchema, serverPool } from './support.js';

describe('preparedStatements option', () => {
  it('rejects a value that is not a boolean', () => {
    expect(() => new PostgresExporter({ connectionString: 'postgres://127.0.0.1/x', preparedStatements: 'yes' as unknown as boolean })).toThrow(
      InvalidArgumentError,
    );
  });
});

describe.skipIf(!HAS_SERVER)('named prepared statements on a real server', () => {
  // One connection, so the session-local pg_prepared_statements view sees what the exporters prepared.
  let pool: pg.Pool;
  const schemas = [randomSchema(), randomSchema()];

  beforeAll(async () => {
    pool = serverPool({ max: 1 });
    for (const schema of schemas) await migrate(pool, { schema });
  });
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(pool, schema);
    await pool.end();
  });

  const preparedNames = async (): Promise<string[]> => {
    const result = await pool.query<{ name: string }>(`SELECT name FROM pg_prepared_statements WHERE name LIKE 'chatdebug\\_%' ORDER BY name`);
    return result.rows.map((row) => row.name);
  };
  const recordOneStep = async (exporter: PostgresExporter): Promise<void> => {
    const service = new DebugService({ exporter, logger: silentLogger });
    const run = await service.createRun({ chatId: newId(), kind: 'chat_turn' });
    const step = await service.createStep({ runId: run.id, chatId: run.chatId, stepNumber: 1, operation: 'generate' });
    await service.updateStep({ id: step.id, chatId: step.chatId, status: 'completed' });
    await service.updateRun({ id: run.id, chatId: run.chatId, status: 'completed' });
    expect((await exporter.listSteps(run.id)).map((s) => s.status)).toEqual(['completed']);
  };

  it('prepares each statement once per connection, and never gives one name to two schemas', async () => {
    await pool.query('DEALLOCATE ALL');
    const first = new PostgresExporter({ pool, schema: schemas[0] });
    await recordOneStep(first);
    const afterFirst = await preparedNames();
    // createRun, createStep, updateStep, updateRun and the listSteps read.
    expect(afterFirst).toHaveLength(5);
    await recordOneStep(first);
    expect(await preparedNames()).toEqual(afterFirst);

    // Same statements on another schema: different text, so different names on the same connection.
    await recordOneStep(new PostgresExporter({ pool, schema: schemas[1] }));
    const afterSecond = await preparedNames();
    expect(afterSecond).toHaveLength(10);
    expect(afterSecond).toEqual(expect.arrayContaining(afterFirst));
  });

  it('recovers when the server forgets the prepared statements (DISCARD ALL)', async () => {
    const exporter = new PostgresExporter({ pool, schema: schemas[0] });
    await recordOneStep(exporter);
    // pg remembers what it prepared per connection; DISCARD ALL (as a pooler may issue) drops them.
    await pool.query('DISCARD ALL');
    const [connectionBefore] = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
    // The first statement finds its name gone (SQLSTATE 26000): that connection is replaced and
    // the statement prepared again on the new one, invisibly to the caller.
    await recordOneStep(exporter);
    const [connectionAfter] = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
    expect(connectionAfter?.pid).not.toBe(connectionBefore?.pid);
    expect(await preparedNames()).toHaveLength(5);
  });

  it('the stale sweep\'s transaction recovers the same way, and leaves no transaction open', async () => {
    const exporter = new PostgresExporter({ pool, schema: schemas[0] });
    const service = new DebugService({ exporter, logger: silentLogger });
    const sweepOneStaleRun = async () => {
      const run = await service.createRun({ chatId: newId(), kind: 'chat_turn', at: new Date(Date.now() - 3_600_000) });
      await service.createStep({ runId: run.id, chatId: run.chatId, stepNumber: 1, operation: 'generate', at: new Date(Date.now() - 3_600_000) });
      expect(await service.finalizeStale()).toEqual({ runsFinalized: 1, stepsFinalized: 1 });
    };
    await sweepOneStaleRun();
    // The sweep meets its forgotten statement inside its transaction (after BEGIN): that
    // connection is destroyed (ending the transaction) and the whole transaction re-run.
    await pool.query('DISCARD ALL');
    const [connectionBefore] = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
    await expect(service.finalizeStale()).resolves.toEqual({ runsFinalized: 0, stepsFinalized: 0 });
    const [connectionAfter] = (await pool.query<{ pid: number; in_transaction: boolean }>(
      "SELECT pg_backend_pid() AS pid, now() <> statement_timestamp() AS in_transaction",
    )).rows;
    expect(connectionAfter?.pid).not.toBe(connectionBefore?.pid);
    expect(connectionAfter?.in_transaction).toBe(false);
  });

  it('runs unnamed statements with preparedStatements: false', async () => {
    await pool.query('DEALLOCATE ALL');
    await recordOneStep(new PostgresExporter({ pool, schema: schemas[0], preparedStatements: false }));
    expect(await preparedNames()).toEqual([]);
  });
});
