import type { RunRecord } from '@chatdebug/sdk';
import { DebugService, RunFinalizedError, newId } from '@chatdebug/sdk';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PoolLike } from '../src/index.js';
import { PostgresExporter } from '../src/index.js';
import type { TestDatabase } from './support.js';
import { HAS_SERVER, ManualClock, capturingLogger, eventually, openTestDatabase, serverPool } from './support.js';

const MINUTE = 60_000;
const T = Date.UTC(2026, 2, 1, 12);

/** A pool look-alike whose every connection is `client` (a transaction left open stays open). */
function onHeldClient(client: pg.PoolClient): PoolLike {
  const held = { query: client.query.bind(client), release: () => undefined, on: () => held, removeListener: () => held } as unknown as Awaited<ReturnType<PoolLike['connect']>>;
  return { query: (text, values) => client.query(text, values), connect: async () => held };
}

/** Runs `count` jobs with at most `lanes` in flight. */
async function inLanes<R>(count: number, lanes: number, job: (index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await job(index);
      }
    }),
  );
  return results;
}

describe.skipIf(!HAS_SERVER)('concurrency on a real PostgreSQL server', () => {
  let t: TestDatabase;
  let clock: ManualClock;
  let service: DebugService;

  beforeAll(async () => {
    t = await openTestDatabase('postgres', { max: 8 });
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await t.truncate();
    clock = new ManualClock(T);
    service = new DebugService({ exporter: t.exporter, clock, logger: capturingLogger().logger, staleAfterMillis: 5 * MINUTE });
  });

  const staleRun = (at = T - 10 * MINUTE) => service.createRun({ chatId: newId(), kind: 'chat_turn', at: new Date(at) });

  it('32 concurrent createStep calls with the same number end with numbers 1…32, no gaps', async () => {
    const run = await service.createRun({ chatId: newId(), kind: 'chat_turn' });
    const steps = await Promise.all(
      Array.from({ length: 32 }, () => service.createStep({ runId: run.id, chatId: run.chatId, stepNumber: 1, operation: 'stream' })),
    );
    const numbers = steps.map((step) => step.stepNumber).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    expect((await t.exporter.listSteps(run.id)).map((s) => s.stepNumber)).toEqual(numbers);
  });

  it('createStep racing finalizeStale (1,000 iterations) never adds a step to a run finalized before it', async () => {
    // The run is stale at T; the step (at T + 1 ms) would revive it; the sweep runs at T.
    const outcomes = await inLanes(1_000, 8, async () => {
      const run = await staleRun();
      const [created, swept] = await Promise.allSettled([
        service.createStep({ runId: run.id, chatId: run.chatId, stepNumber: 1, operation: 'generate', at: new Date(T + 1) }),
        service.finalizeStale(),
      ]);
      if (swept.status === 'rejected') throw swept.reason;
      if (created.status === 'rejected' && !(created.reason instanceof RunFinalizedError)) throw created.reason;
      return created.status === 'fulfilled' ? 'inserted' : 'rejected';
    });
    const inserted = outcomes.filter((o) => o === 'inserted').length;
    const rejected = outcomes.length - inserted;
    const check = await t.db.query(
      `SELECT
         (SELECT count(*)::int FROM ${t.table('chat_debug_steps')}) AS steps,
         (SELECT count(*)::int FROM ${t.table('chat_debug_steps')} s JOIN ${t.table('chat_debug_runs')} r ON r.id = s.run_id
            WHERE r.finished_at IS NOT NULL) AS steps_in_finalized_runs,
         (SELECT count(*)::int FROM ${t.table('chat_debug_steps')} s JOIN ${t.table('chat_debug_runs')} r ON r.id = s.run_id
            WHERE s.started_at > r.finished_at) AS steps_after_finish,
         (SELECT count(*)::int FROM ${t.table('chat_debug_runs')} WHERE finished_at IS NOT NULL) AS finalized_runs`,
    );
    expect(check.rows[0]).toEqual({ steps: inserted, steps_in_finalized_runs: 0, steps_after_finish: 0, finalized_runs: rejected });
    // Both orders happened, so the race was real.
    expect(inserted).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  });

  it('a step inserted with an old time while the sweep waits for its run is finalized by that sweep (F6)', async () => {
    // A late createStep (its time is the span's start, before an outage longer than the
    // threshold) holds its run's row lock, uncommitted, while a sweep runs. The sweep waits,
    // re-reads the run (still stale: the step's time is old) and finalizes it; its step CTE's
    // snapshot predates the insert, so only the sweep's second statement closes the step.
    const run = await staleRun(T - 10 * MINUTE);
    const side = serverPool({ max: 2 });
    const holder = await side.connect();
    try {
      const holderPid = ((await holder.query('SELECT pg_backend_pid() AS pid')).rows[0] as { pid: number }).pid;
      await holder.query('BEGIN');
      const late = new DebugService({
        exporter: new PostgresExporter({ pool: onHeldClient(holder), schema: t.schema }),
        clock,
        logger: capturingLogger().logger,
      });
      const step = await late.createStep({ runId: run.id, chatId: run.chatId, stepNumber: 1, operation: 'stream', at: new Date(T - 9 * MINUTE) });
      const sweep = service.finalizeStale();
      // The sweep is blocked by the insert's transaction, on the run's row lock.
      await eventually(async () => {
        const waiting = await side.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1::int = ANY (pg_blocking_pids(pid))', [holderPid]);
        return (waiting.rows[0] as { n: number }).n > 0;
      });
      await holder.query('COMMIT');
      expect(await sweep).toEqual({ runsFinalized: 1, stepsFinalized: 1 });
      expect((await t.exporter.listSteps(run.id)).map((s) => ({ id: s.id, status: s.status, finishedAt: s.finishedAt }))).toEqual([
        { id: step.id, status: 'interrupted', finishedAt: new Date(T) },
      ]);
      expect((await t.exporter.getRun(run.id))?.finishedAt).toEqual(new Date(T));
      // A second sweep changes nothing.
      expect(await service.finalizeStale()).toEqual({ runsFinalized: 0, stepsFinalized: 0 });
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
      await side.end();
    }
  });

  it('heartbeats racing stale sweeps never deadlock', async () => {
    for (let round = 0; round < 10; round++) {
      const pairs: { run: RunRecord; stepId: string }[] = [];
      for (let i = 0; i < 20; i++) {
        const run = await staleRun();
        const step = await service.createStep({ runId: run.id, chatId: run.chatId, stepNumber: 1, operation: 'stream', at: new Date(T - 10 * MINUTE) });
        pairs.push({ run, stepId: step.id });
      }
      const touches = pairs.map(({ run, stepId }, i) =>
        service.touchStep({ stepId, runId: run.id, chatId: run.chatId, at: new Date(T + i) }),
      );
      const sweeps = Array.from({ length: 3 }, () => service.finalizeStale());
      // Any rejection (a 40P01 deadlock included) fails the test.
      await Promise.all([...touches, ...sweeps]);
    }
  });

  it('two sweepers at once finalize each row exactly once', async () => {
    for (let round = 0; round < 10; round++) {
      await t.truncate();
      for (let i = 0; i < 25; i++) {
        const run = await staleRun();
        for (let n = 1; n <= 2; n++) {
          await service.createStep({ runId: run.id, chatId: run.chatId, stepNumber: n, operation: 'stream', at: new Date(T - 10 * MINUTE) });
        }
      }
      const results = await Promise.all([service.finalizeStale(), service.finalizeStale()]);
      expect(results.reduce((sum, r) => sum + r.runsFinalized, 0)).toBe(25);
      expect(results.reduce((sum, r) => sum + r.stepsFinalized, 0)).toBe(50);
      expect(await service.finalizeStale()).toEqual({ runsFinalized: 0, stepsFinalized: 0 });
    }
  });
});
