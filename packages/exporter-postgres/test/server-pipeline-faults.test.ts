import { spawn } from 'node:child_process';
import type { AddressInfo, Socket } from 'node:net';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { FlushResult, PipelineStats, Tracer } from '@chatdebug/sdk';
import { ChatDebugError, InvalidArgumentError, createTracer, isTransientError, newId } from '@chatdebug/sdk';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresExporter, createPool } from '../src/index.js';
import { FaultProxy } from './fault-proxy.js';
import type { TestDatabase } from './support.js';
import { DATABASE_URL, HAS_SERVER, capturingLogger, eventually, openTestDatabase, randomSchema } from './support.js';

// Fault tests F1, F3 and F7 of the reliability plan, through the public API: a tracer over a
// PostgresExporter on the pool the package creates from a connection string, against a real
// server. Real sockets need real timeouts: they are short and bounded, and the assertions bound
// elapsed time generously (returned, timed out), never tightly.

/** Retries that outlast every fault injected here, with short waits so recovery is quick. */
const PATIENT_RETRY = { retries: 1_000, minDelayMillis: 20, maxDelayMillis: 200, maxRetryMillis: 60_000 } as const;

/** Client-side limits of the pools behind the proxy: a hung connection fails within half a second. */
const SHORT_TIMEOUTS = { connectionTimeoutMillis: 500, queryTimeoutMillis: 500 } as const;

/** Writes one run with `steps` finished steps through spans: 2 + 2 × steps pipeline operations. */
function writeRun(tracer: Tracer, chatId: string, steps: number, label: string): string {
  const run = tracer.startRun({ chatId, kind: 'chat_turn', label, heartbeat: false });
  for (let n = 0; n < steps; n++) {
    const step = run.startStep({ operation: 'generate', request: { messages: [{ role: 'user', content: label }] }, heartbeat: false });
    step.end({ response: { text: `answer ${n}` }, usage: { input_tokens: 3, output_tokens: 5 } });
  }
  run.end();
  return run.id;
}

/** Everything the pipeline took, accounted for: written, failed, dropped or still pending. */
function accounted(stats: PipelineStats): number {
  const { written, failed, dropped, pending } = stats;
  return written + failed + dropped.queueFull + dropped.orphaned + dropped.shutdown + pending;
}

/** Collects unhandled rejections and uncaught exceptions (a crash, outside vitest) while a test runs. */
function watchProcessFailures(): { failures: unknown[]; stop: () => void } {
  const failures: unknown[] = [];
  const record = (reason: unknown) => void failures.push(reason);
  process.on('unhandledRejection', record);
  process.on('uncaughtException', record);
  return {
    failures,
    stop: () => {
      process.off('unhandledRejection', record);
      process.off('uncaughtException', record);
    },
  };
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; millis: number }> {
  const started = performance.now();
  const value = await work();
  return { value, millis: performance.now() - started };
}

describe.skipIf(!HAS_SERVER)('pipeline faults on a real PostgreSQL server (F1, F3, F7)', () => {
  let database: TestDatabase;
  let databaseUrl: string;

  beforeAll(async () => {
    databaseUrl = DATABASE_URL ?? '';
    database = await openTestDatabase('postgres', { max: 4 });
  });
  afterAll(async () => {
    await database?.close();
  });

  /** One chat's runs as stored, each with its step numbers and how many steps completed. */
  const storedRuns = async (chatId: string) => {
    const result = await database.db.query(
      `SELECT r.id, r.status, r.finished_at IS NOT NULL AS finished,
          COALESCE(array_agg(s.step_number ORDER BY s.step_number) FILTER (WHERE s.id IS NOT NULL), '{}') AS numbers,
          count(s.id) FILTER (WHERE s.status = 'completed' AND s.finished_at IS NOT NULL)::int AS completed_steps
        FROM ${database.table('chat_debug_runs')} r LEFT JOIN ${database.table('chat_debug_steps')} s ON s.run_id = r.id
        WHERE r.chat_id = $1 GROUP BY r.id`,
      [chatId],
    );
    return result.rows as { id: string; status: string; finished: boolean; numbers: number[]; completed_steps: number }[];
  };

  /** A tracer over an exporter with a private pool, as an application would set it up. */
  const setUp = (
    connectionString: string,
    options: { maxConnections: number; maxQueueSize?: number; timeouts?: { connectionTimeoutMillis: number; queryTimeoutMillis: number } },
  ) => {
    const applicationName = randomSchema('cdpipe');
    const { logger, lines } = capturingLogger();
    const exporter = new PostgresExporter({
      connectionString,
      applicationName,
      schema: database.schema,
      maxConnections: options.maxConnections,
      ...options.timeouts,
      logger,
    });
    const tracer = createTracer({ exporter, logger, pipeline: { retry: PATIENT_RETRY, maxQueueSize: options.maxQueueSize } });
    const close = async () => {
      await tracer.shutdown(5_000);
      await exporter.shutdown();
    };
    return { applicationName, exporter, tracer, lines, close };
  };

  const exportFailures = (lines: { level: string; message: string }[]) => lines.filter((line) => line.level === 'warn' && line.message.startsWith('export failed'));

  it('F1: backends killed every 500 ms under load: no crash, every acknowledged write stored once, recovery', async () => {
    const watch = watchProcessFailures();
    const { applicationName, tracer, lines, close } = setUp(databaseUrl, { maxConnections: 4 });
    const chatId = newId();
    const STEPS = 3;
    const started = new Set<string>();
    let killRounds = 0;
    let backendsKilled = 0;
    try {
      const killAll = async () => {
        const result = await database.db.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
        killRounds++;
        backendsKilled += result.rowCount ?? 0;
      };
      const killErrors: unknown[] = [];
      let killing: Promise<void> = Promise.resolve();
      const killer = setInterval(() => (killing = killAll().catch((error: unknown) => void killErrors.push(error))), 500);
      // 3 s of steady load that keeps the pool's connections busy, yet stays under what it
      // sustains here (so recovery is not a backlog draining): 2 runs of 3 steps every ~15 ms.
      const deadline = Date.now() + 3_000;
      let turn = 0;
      try {
        while (Date.now() < deadline) {
          for (let i = 0; i < 2; i++) started.add(writeRun(tracer, chatId, STEPS, `turn ${++turn}`));
          await new Promise((resolve) => setTimeout(resolve, 15));
        }
      } finally {
        clearInterval(killer);
        await killing;
      }
      expect(killErrors).toEqual([]);
      expect(killRounds).toBeGreaterThanOrEqual(4);
      expect(backendsKilled).toBeGreaterThan(0);

      // Recovery: with the killing over, a new run is readable within a bounded time (the plan
      // says 1 s; the bound is generous for loaded CI machines).
      const recoveryRun = writeRun(tracer, chatId, 1, 'after the faults');
      started.add(recoveryRun);
      await eventually(async () => (await storedRuns(chatId)).some((run) => run.id === recoveryRun && run.finished), { timeoutMillis: 5_000, intervalMillis: 20 });

      const flush = await tracer.forceFlush(30_000);
      expect(flush.timedOut).toBe(false);
      const stats = flush.stats;
      expect(stats.pending).toBe(0);
      expect(accounted(stats)).toBe(stats.enqueued);
      expect(stats.retried).toBeGreaterThan(0);
      // Every transient failure was retried to success: nothing failed, nothing was dropped.
      expect(stats).toMatchObject({ failed: 0, dropped: { queueFull: 0, orphaned: 0, shutdown: 0 } });
      expect(exportFailures(lines)).toEqual([]);

      // The database holds exactly what the stats say was written: each run once, finished, with
      // steps 1…STEPS (no duplicate, no gap), each completed.
      const rows = await storedRuns(chatId);
      expect(rows).toHaveLength(started.size);
      expect(new Set(rows.map((row) => row.id))).toEqual(started);
      for (const row of rows) {
        const numbers = row.id === recoveryRun ? [1] : [1, 2, 3];
        expect(row).toMatchObject({ status: 'completed', finished: true, numbers, completed_steps: numbers.length });
      }
      const steps = rows.reduce((sum, row) => sum + row.numbers.length, 0);
      // createRun + finalizeRun per run, createStep + the step's end per step.
      expect(stats.written).toBe(2 * rows.length + 2 * steps);
      expect(stats.enqueued).toBe(stats.written);
    } finally {
      await close();
      watch.stop();
    }
    expect(watch.failures).toEqual([]);
  });

  it('F1: a backend killed just as its new connection is handed out does not crash the process', async () => {
    // The race F1's killing can hit (rarely at 500 ms), made deterministic: ReadyForQuery and
    // the FATAL that follows arrive in one chunk; pg-pool hands the connection out while parsing
    // the first, and the borrower's own error listener is a microtask away.
    const watch = watchProcessFailures();
    const proxy = await FaultProxy.start(databaseUrl);
    // Long timeouts: the connection must wait, handshake held, until its backend is gone.
    const { applicationName, exporter, close } = setUp(proxy.url(databaseUrl), {
      maxConnections: 1,
      timeouts: { connectionTimeoutMillis: 30_000, queryTimeoutMillis: 30_000 },
    });
    try {
      proxy.mode = 'hold';
      const read = exporter.getRun(newId()).then(
        () => undefined,
        (error: unknown) => error,
      );
      const idle = async () => {
        const result = await database.db.query("SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle'", [applicationName]);
        return (result.rows as { pid: number }[]).map((row) => row.pid);
      };
      await eventually(async () => (await idle()).length === 1);
      await database.db.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
      await eventually(() => proxy.closedUpstreams === 1);
      proxy.release();
      expect(ChatDebugError.is(await read, 'unavailable')).toBe(true);
      // The pool replaced the dead connection.
      await expect(exporter.getRun(newId())).resolves.toBeUndefined();
    } finally {
      await close();
      await proxy.close();
      watch.stop();
    }
    expect(watch.failures).toEqual([]);
  });

  it('F3: a hung database: callers never wait, flush times out, the stuck connection is destroyed, the queue keeps its cap', async () => {
    const watch = watchProcessFailures();
    const proxy = await FaultProxy.start(databaseUrl);
    const MAX_QUEUE = 40;
    const { tracer, lines, close } = setUp(proxy.url(databaseUrl), { maxConnections: 2, maxQueueSize: MAX_QUEUE, timeouts: SHORT_TIMEOUTS });
    const chatId = newId();
    try {
      const warm = writeRun(tracer, chatId, 1, 'warm-up');
      expect((await tracer.forceFlush(10_000)).timedOut).toBe(false);
      const before = tracer.stats().pipeline;
      const stuck = proxy.openSockets();
      expect(stuck.length).toBeGreaterThan(0);

      proxy.mode = 'stall';
      // 15 runs of one step: 60 operations, produced synchronously (no span call can await) while
      // the database answers nothing. The first 40 fill the queue, the other 20 are dropped.
      const produced: string[] = [];
      const callStarted = performance.now();
      for (let i = 0; i < 15; i++) produced.push(writeRun(tracer, chatId, 1, `stalled ${i}`));
      expect(performance.now() - callStarted).toBeLessThan(2_000);
      let stats = tracer.stats().pipeline;
      expect(stats.enqueued - before.enqueued).toBe(60);
      expect(stats.dropped.queueFull).toBe(20);
      expect(stats.pending).toBe(MAX_QUEUE);

      const flush = await timed(() => tracer.forceFlush(300));
      expect(flush.value).toMatchObject({ timedOut: true, pending: MAX_QUEUE });
      expect(flush.millis).toBeGreaterThanOrEqual(250);
      expect(flush.millis).toBeLessThan(10_000);

      // The client-side query timeout fails the statement and destroys its connection: every
      // connection that was open when the database hung gets closed by the pool.
      await eventually(() => stuck.every((socket) => socket.destroyed), { timeoutMillis: 10_000 });

      // Still hung: more writes are dropped and counted, exactly; the queue stays at its cap.
      for (let i = 0; i < 5; i++) writeRun(tracer, chatId, 1, `still stalled ${i}`);
      stats = tracer.stats().pipeline;
      expect(stats.dropped.queueFull).toBe(40);
      expect(stats.pending).toBe(MAX_QUEUE);
      expect(accounted(stats)).toBe(stats.enqueued);

      proxy.mode = 'forward';
      const recovered = await tracer.forceFlush(15_000);
      expect(recovered.timedOut).toBe(false);
      expect(recovered.stats).toMatchObject({ written: before.written + MAX_QUEUE, failed: 0, pending: 0, dropped: { queueFull: 40, orphaned: 0, shutdown: 0 } });
      expect(exportFailures(lines)).toEqual([]);
      // What was queued before the cap is stored whole: the warm-up and the first 10 runs.
      const rows = await storedRuns(chatId);
      expect(rows.map((row) => row.id).sort()).toEqual([warm, ...produced.slice(0, 10)].sort());
      for (const row of rows) expect(row).toMatchObject({ status: 'completed', finished: true, numbers: [1], completed_steps: 1 });

      const after = writeRun(tracer, chatId, 1, 'after the hang');
      expect((await tracer.forceFlush(10_000)).timedOut).toBe(false);
      expect((await storedRuns(chatId)).find((row) => row.id === after)).toMatchObject({ finished: true, numbers: [1] });
    } finally {
      await close();
      await proxy.close();
      watch.stop();
    }
    expect(watch.failures).toEqual([]);
  });

  it('F3: writes whose answers were lost (committed, then the connection hung) are stored once, not failed', async () => {
    const watch = watchProcessFailures();
    const proxy = await FaultProxy.start(databaseUrl);
    const { tracer, lines, close } = setUp(proxy.url(databaseUrl), { maxConnections: 1, timeouts: SHORT_TIMEOUTS });
    const chatId = newId();
    try {
      const rowsOf = async (table: 'chat_debug_runs' | 'chat_debug_steps', id: string) =>
        Number(((await database.db.query(`SELECT count(*) AS n FROM ${database.table(table)} WHERE id = $1`, [id])).rows[0] as { n: string }).n);

      // Warm up: the pool's one connection is open before answers get lost.
      writeRun(tracer, chatId, 0, 'warm-up');
      expect((await tracer.forceFlush(10_000)).timedOut).toBe(false);

      /** Loses the answers to what `write` sends, until its row is stored and an answer was dropped. */
      const loseAnswer = async <T extends { id: string }>(table: 'chat_debug_runs' | 'chat_debug_steps', write: () => T): Promise<T> => {
        proxy.mode = 'drop-replies';
        const dropped = proxy.droppedReplies;
        const written = write();
        await eventually(async () => (await rowsOf(table, written.id)) === 1);
        await eventually(() => proxy.droppedReplies > dropped);
        proxy.mode = 'forward';
        return written;
      };

      // The run's insert commits, its answer is lost; the retry must find the run, not fail on it.
      const run = await loseAnswer('chat_debug_runs', () => tracer.startRun({ chatId, kind: 'chat_turn', heartbeat: false }));
      expect((await tracer.forceFlush(10_000)).timedOut).toBe(false);
      // Same for a step's insert.
      const step = await loseAnswer('chat_debug_steps', () => run.startStep({ operation: 'generate', heartbeat: false }));
      step.end({ response: { text: 'ok' } });
      run.startStep({ operation: 'stream', heartbeat: false }).end();
      run.end();

      const flush = await tracer.forceFlush(10_000);
      expect(flush.timedOut).toBe(false);
      expect(flush.stats.retried).toBeGreaterThan(0);
      expect(flush.stats).toMatchObject({ written: 8, failed: 0, pending: 0, dropped: { orphaned: 0 } });
      expect(exportFailures(lines)).toEqual([]);
      const stored = (await storedRuns(chatId)).find((row) => row.id === run.id);
      expect(stored).toEqual({ id: run.id, status: 'completed', finished: true, numbers: [1, 2], completed_steps: 2 });
    } finally {
      await close();
      await proxy.close();
      watch.stop();
    }
    expect(watch.failures).toEqual([]);
  });

  it('F3: pools the package creates wait for an answer only so long: statement timeout + 5 s by default, configurable', async () => {
    const { logger } = capturingLogger();
    const queryTimeout = async (options: { statementTimeoutMillis?: number; queryTimeoutMillis?: number }) => {
      const pool = await createPool({ connectionString: databaseUrl, logger, ...options });
      await pool.end();
      return (pool as unknown as pg.Pool).options.query_timeout;
    };
    expect(await queryTimeout({})).toBe(35_000);
    expect(await queryTimeout({ statementTimeoutMillis: 1_000 })).toBe(6_000);
    expect(await queryTimeout({ statementTimeoutMillis: 0 })).toBe(0);
    expect(await queryTimeout({ statementTimeoutMillis: 0, queryTimeoutMillis: 2_000 })).toBe(2_000);
    expect(() => new PostgresExporter({ connectionString: databaseUrl, queryTimeoutMillis: -1 })).toThrow(InvalidArgumentError);
    expect(() => new PostgresExporter({ pool: database.db, queryTimeoutMillis: 1_000 })).toThrow(InvalidArgumentError);

    // A statement not answered in time fails as transient (the pipeline retries it); the pool
    // replaces the connection and carries on.
    const pool = await createPool({ connectionString: databaseUrl, statementTimeoutMillis: 0, queryTimeoutMillis: 200, maxConnections: 1, logger });
    try {
      const error = await pool.query('SELECT pg_sleep(1)').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(String(error)).toMatch(/query read timeout/i);
      expect(isTransientError(error)).toBe(true);
      await expect(pool.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      await pool.end();
    }
  });

  it('F7: shutdown with the database hung returns at its deadline with counts, and leaves no connection open', async () => {
    const watch = watchProcessFailures();
    const proxy = await FaultProxy.start(databaseUrl);
    const { tracer, exporter } = setUp(proxy.url(databaseUrl), { maxConnections: 2, timeouts: SHORT_TIMEOUTS });
    const chatId = newId();
    try {
      writeRun(tracer, chatId, 1, 'warm-up');
      expect((await tracer.forceFlush(10_000)).timedOut).toBe(false);
      const before = tracer.stats().pipeline;

      proxy.mode = 'stall';
      for (let i = 0; i < 10; i++) writeRun(tracer, chatId, 1, `unwritable ${i}`);
      const shutdown = await timed(() => tracer.shutdown(300));
      const result: FlushResult = shutdown.value;
      expect(result.timedOut).toBe(true);
      expect(shutdown.millis).toBeLessThan(10_000);
      const { stats } = result;
      expect(accounted(stats)).toBe(stats.enqueued);
      expect(stats.written).toBe(before.written);
      // What was queued is dropped and counted; only operations already in flight are pending.
      expect(stats.dropped.shutdown + stats.failed + stats.pending).toBe(40);
      expect(stats.pending).toBeLessThanOrEqual(4);
      expect(tracer.startRun({ chatId, kind: 'chat_turn' }).isRecording).toBe(false);

      // The exporter's pool ends within its connection and query timeouts, closing every socket;
      // the operations in flight then give up and are counted as failed.
      const ended = await timed(() => exporter.shutdown());
      expect(ended.millis).toBeLessThan(10_000);
      await eventually(() => proxy.openSockets().length === 0, { timeoutMillis: 5_000 });
      await eventually(() => tracer.stats().pipeline.pending === 0, { timeoutMillis: 5_000 });
      const final = tracer.stats().pipeline;
      expect(accounted(final)).toBe(final.enqueued);
      expect(final.written).toBe(before.written);
    } finally {
      await tracer.shutdown();
      await exporter.shutdown();
      await proxy.close();
      watch.stop();
    }
    expect(watch.failures).toEqual([]);
  });

  it('F7: a process whose database is down or hung exits by itself after shutdown (built dist)', async () => {
    const sdk = fileURLToPath(new URL('../../sdk/dist/index.js', import.meta.url));
    const exporterDist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    // No process.exit: the child must end because nothing (timer, socket, pool) keeps it alive.
    // Until then the awaited shutdown's deadline must keep it alive: with the database refused
    // nothing else does, and an unfinished top-level await would exit with code 13.
    const script = `
      const { createTracer, newId } = await import(${JSON.stringify(sdk)});
      const { PostgresExporter } = await import(${JSON.stringify(exporterDist)});
      const quiet = { debug() {}, info() {}, warn() {}, error() {} };
      const exporter = new PostgresExporter({ connectionString: process.env.TARGET_URL, connectionTimeoutMillis: 1000, logger: quiet });
      const tracer = createTracer({ exporter, logger: quiet, pipeline: { retry: { retries: 1000, minDelayMillis: 20, maxDelayMillis: 200, maxRetryMillis: 60000 } } });
      const chatId = newId();
      for (let i = 0; i < 10; i++) {
        const run = tracer.startRun({ chatId, kind: 'chat_turn' });
        run.startStep({ operation: 'generate' }).end();
        run.end();
      }
      const started = Date.now();
      const result = await tracer.shutdown(300);
      const shutdownMillis = Date.now() - started;
      await exporter.shutdown();
      console.log(JSON.stringify({ result, shutdownMillis }));
    `;
    const runChild = (targetUrl: string) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, TARGET_URL: targetUrl }, stdio: 'pipe' });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const limit = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`the child process did not exit by itself: ${stdout} ${stderr}`));
        }, 20_000);
        child.on('exit', (code) => {
          clearTimeout(limit);
          resolve({ code, stdout, stderr });
        });
      });

    // A server that accepts connections and never answers: a hung database.
    const hung = new Set<Socket>();
    const hungServer = createServer((socket) => {
      hung.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => hungServer.listen(0, '127.0.0.1', resolve));
    const hungUrl = `postgres://postgres@127.0.0.1:${(hungServer.address() as AddressInfo).port}/test`;
    try {
      // Port 1: nothing listens, connections are refused at once.
      const children = await Promise.all([runChild('postgres://postgres@127.0.0.1:1/test'), runChild(hungUrl)]);
      for (const { code, stdout, stderr } of children) {
        expect(code, stderr).toBe(0);
        const { result, shutdownMillis } = JSON.parse(stdout) as { result: FlushResult; shutdownMillis: number };
        expect(result.timedOut).toBe(true);
        expect(shutdownMillis).toBeLessThan(10_000);
        expect(result.stats.enqueued).toBe(40);
        expect(result.stats.written).toBe(0);
        expect(accounted(result.stats)).toBe(40);
      }
      expect(hung.size).toBeGreaterThan(0);
    } finally {
      for (const socket of hung) socket.destroy();
      await new Promise<void>((resolve) => hungServer.close(() => resolve()));
    }
  });
});
