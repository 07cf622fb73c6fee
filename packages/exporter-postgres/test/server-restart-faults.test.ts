import { execFile, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, rmSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DebugEvent, PipelineStats, Tracer } from '@chatdebug/sdk';
import { createTracer, newId } from '@chatdebug/sdk';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OwnedPool } from '../src/index.js';
import { PostgresEventBus, PostgresExporter, createPool, migrate } from '../src/index.js';
import { HAS_SERVER, capturingLogger, eventually, randomSchema } from './support.js';

// Fault test F2 of the reliability plan: the database restarts (`pg_ctl restart -m fast`, then
// `-m immediate`) while the export pipeline is writing, and the buffer drains after recovery.
// Restarting the shared server would break every other test running against it, so this file
// starts a private, throwaway cluster of its own (initdb + pg_ctl, as the `postgres` OS user when
// run as root, since PostgreSQL refuses to run as root) and removes it afterwards. Gated on
// DATABASE_URL like the other real-server files, so the plain local run stays fast.

const PG_BIN = '/usr/lib/postgresql/15/bin';
const IS_ROOT = process.getuid?.() === 0;

/** Why the cluster cannot be run here, or undefined when it can. */
function clusterUnavailable(): string | undefined {
  for (const binary of ['initdb', 'pg_ctl', 'postgres']) {
    try {
      accessSync(join(PG_BIN, binary), constants.X_OK);
    } catch {
      return `no executable ${join(PG_BIN, binary)}`;
    }
  }
  if (!IS_ROOT) return undefined;
  // As root: PostgreSQL refuses to run, so it runs as the `postgres` OS user through runuser.
  if (spawnSync('runuser', ['--help'], { stdio: 'ignore' }).status !== 0) return 'running as root without runuser';
  if (postgresUser() === undefined) return 'running as root without a "postgres" OS user';
  return undefined;
}

/** uid and gid of the `postgres` OS user. */
function postgresUser(): { uid: number; gid: number } | undefined {
  const id = (flag: string) => {
    const result = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
    return result.status === 0 ? Number(result.stdout.trim()) : Number.NaN;
  };
  const uid = id('-u');
  const gid = id('-g');
  return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
}

const UNAVAILABLE = HAS_SERVER ? clusterUnavailable() : 'DATABASE_URL is not set';

/** A port nothing listens on right now: the kernel's pick for port 0. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Directories of clusters not yet destroyed. */
const LIVE_CLUSTERS = new Set<string>();

/** The last resort when afterAll never ran (a worker ending early): stop those clusters as the process exits. */
function stopLeftoversOnExit(): void {
  for (const dir of LIVE_CLUSTERS) {
    try {
      const pid = Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGQUIT');
    } catch {
      // Not running.
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A throwaway PostgreSQL 15 cluster in a fresh temporary directory, on a free loopback port, with
 * its socket in that directory and fsync off. `restart` is `pg_ctl restart`, awaited without
 * blocking the event loop, so the pipeline under test keeps running through it.
 */
class PrivateCluster {
  readonly dir: string;
  readonly port: number;

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  get logFile(): string {
    return join(this.dir, 'postgres.log');
  }

  /** A connection string for the cluster's `postgres` database. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async start(): Promise<PrivateCluster> {
    // As root the directory must be reachable by the postgres user: /tmp is, a root-only TMPDIR may not be.
    const dir = await mkdtemp(join(IS_ROOT && existsSync('/tmp') ? '/tmp' : tmpdir(), 'chatdebug-f2-'));
    if (LIVE_CLUSTERS.size === 0) process.once('exit', stopLeftoversOnExit);
    LIVE_CLUSTERS.add(dir);
    if (IS_ROOT) {
      const user = postgresUser() as { uid: number; gid: number };
      await chown(dir, user.uid, user.gid);
    }
    let cluster: PrivateCluster | undefined;
    try {
      cluster = new PrivateCluster(dir, 0);
      await cluster.#run('initdb', ['-D', cluster.dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
      // Another process may take the port between the probe and the bind: try a few.
      for (let attempt = 1; ; attempt++) {
        cluster = new PrivateCluster(dir, await freePort());
        try {
          await cluster.#pgCtl('start', [
            '-o',
            `-p ${cluster.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='${dir}' -c fsync=off -c shared_buffers=16MB`,
          ]);
          return cluster;
        } catch (error) {
          if (attempt >= 3) throw error;
        }
      }
    } catch (error) {
      await cluster?.destroy();
      throw error;
    }
  }

  /** `pg_ctl restart -m <mode>`: returns once the new server accepts connections. */
  async restart(mode: 'fast' | 'immediate'): Promise<void> {
    await this.#pgCtl('restart', ['-m', mode]);
  }

  /** The server's log so far. */
  async log(): Promise<string> {
    return readFile(this.logFile, 'utf8').catch(() => '');
  }

  /** Stops the server (immediate: nothing to keep) and removes the directory. Never throws. */
  async destroy(): Promise<void> {
    if (existsSync(join(this.dataDir, 'postmaster.pid'))) {
      await this.#pgCtl('stop', ['-m', 'immediate']).catch(() => this.#killPostmaster());
    }
    await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
    LIVE_CLUSTERS.delete(this.dir);
    if (LIVE_CLUSTERS.size === 0) process.off('exit', stopLeftoversOnExit);
  }

  /** The fallback when pg_ctl cannot stop it: SIGQUIT (immediate shutdown) to the postmaster this file started. */
  #killPostmaster(): void {
    try {
      const pid = Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGQUIT');
    } catch {
      // Already gone.
    }
  }

  /** pg_ctl with the data directory, the log file (the server's output must not hold our pipes) and a bounded wait. */
  #pgCtl(command: string, args: string[]): Promise<string> {
    return this.#run('pg_ctl', [command, '-D', this.dataDir, '-l', this.logFile, '-w', '-t', '30', ...args]);
  }

  #run(binary: string, args: string[]): Promise<string> {
    const path = join(PG_BIN, binary);
    const [file, argv] = IS_ROOT ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
    return new Promise((resolve, reject) => {
      execFile(file, argv, { cwd: this.dir, timeout: 60_000 }, (error, stdout, stderr) => {
        if (!error) resolve(stdout);
        else reject(new Error(`${binary} ${args[0] ?? ''} failed: ${String(error)}\n${stdout}\n${stderr}\n${this.#logTail()}`));
      });
    });
  }

  #logTail(): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      return '';
    }
  }
}

/** Retries that outlast a restart (about a second), with short waits so recovery is quick. */
const PATIENT_RETRY = { retries: 1_000, minDelayMillis: 20, maxDelayMillis: 200, maxRetryMillis: 60_000 } as const;
/** Lanes of the pipeline, and connections of the exporter's pool: one statement in flight per lane. */
const LANES = 4;
/** Steps of every run written here. */
const STEPS = 2;

/** Writes one run with `STEPS` finished steps through spans: 2 + 2 × STEPS pipeline operations. */
function writeRun(tracer: Tracer, chatId: string, label: string): string {
  const run = tracer.startRun({ chatId, kind: 'chat_turn', label, heartbeat: false });
  for (let n = 0; n < STEPS; n++) {
    const step = run.startStep({ operation: 'generate', request: { messages: [{ role: 'user', content: label }] }, heartbeat: false });
    step.end({ response: { text: `answer ${n}` }, usage: { input_tokens: 3, output_tokens: 5 } });
  }
  run.end();
  return run.id;
}

function droppedTotal(stats: PipelineStats): number {
  return stats.dropped.queueFull + stats.dropped.orphaned + stats.dropped.shutdown;
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

describe.skipIf(UNAVAILABLE !== undefined)(
  `F2: a private PostgreSQL cluster restarted mid-flush (fast, then immediate)${UNAVAILABLE ? ` [skipped: ${UNAVAILABLE}]` : ''}`,
  () => {
    let cluster: PrivateCluster | undefined;
    let admin: pg.Pool;
    const schema = randomSchema('cdf2');

    beforeAll(async () => {
      cluster = await PrivateCluster.start();
      admin = new pg.Pool({ connectionString: cluster.url, max: 2, connectionTimeoutMillis: 2_000 });
      // Its idle connections die with every restart.
      admin.on('error', () => undefined);
      await migrate(admin, { schema, logger: capturingLogger().logger });
    });
    afterAll(async () => {
      await admin?.end().catch(() => undefined);
      await cluster?.destroy();
    });

    /** A read on the admin pool that answers undefined instead of failing while the server is away. */
    const tryQuery = async <T>(text: string, values: unknown[] = []): Promise<T[] | undefined> => {
      try {
        return (await admin.query(text, values)).rows as T[];
      } catch {
        return undefined;
      }
    };

    it('the buffer drains after each restart: every write stored once, nothing dropped, events flow again', async () => {
      const server = cluster as PrivateCluster;
      const watch = watchProcessFailures();
      const { logger, lines } = capturingLogger();
      const applicationName = randomSchema('cdf2w');
      const exporter = new PostgresExporter({
        connectionString: server.url,
        schema,
        applicationName,
        maxConnections: LANES,
        connectionTimeoutMillis: 2_000,
        queryTimeoutMillis: 10_000,
        logger,
      });
      let publishPool: OwnedPool | undefined;
      let bus: PostgresEventBus | undefined;
      let tracer: Tracer | undefined;
      let producer: ReturnType<typeof setInterval> | undefined;
      try {
        publishPool = await createPool({ connectionString: server.url, maxConnections: 2, connectionTimeoutMillis: 2_000, logger });
        bus = new PostgresEventBus({
          db: publishPool,
          connectionString: server.url,
          connectionTimeoutMillis: 2_000,
          reconnect: { initialDelayMillis: 50, maxDelayMillis: 400 },
          logger,
        });
        const running = createTracer({ exporter, eventBus: bus, logger, pipeline: { concurrency: LANES, retry: PATIENT_RETRY } });
        tracer = running;
        const chatId = newId();
        const events: DebugEvent[] = [];
        await bus.subscribe(chatId, (event) => events.push(event));

        const runs: string[] = [];
        const write = (label: string) => runs.push(writeRun(running, chatId, label));
        const storedFinished = async (runId: string) =>
          ((await tryQuery<{ ok: boolean }>(`SELECT finished_at IS NOT NULL AS ok FROM "${schema}".chat_debug_runs WHERE id = $1`, [runId])) ?? [])[0]?.ok ===
          true;
        const logCount = (message: string) => lines.filter((line) => line.message === message).length;

        // A run every 20 ms for the whole test: with the bursts, several hundred spans.
        producer = setInterval(() => write(`steady ${runs.length}`), 20);
        await eventually(async () => runs.length > 5 && (await storedFinished(runs[0] as string)), { timeoutMillis: 10_000 });
        await eventually(() => events.length > 0);

        const restarts = [] as { mode: string; pendingAtRestart: number; blocked: number; recoveryMillis: number }[];
        for (const [index, mode] of (['fast', 'immediate'] as const).entries()) {
          const restartNumber = index + 1;
          // Mid-flush for certain: a transaction holding a SHARE lock on the runs table makes every
          // lane's next write (run inserts and updates, step inserts, which bump their run) wait in
          // the server, so the restart hits statements in flight, not an idle pool.
          const blocker = await admin.connect();
          blocker.on('error', () => undefined);
          await blocker.query('BEGIN');
          await blocker.query(`LOCK TABLE "${schema}".chat_debug_runs IN SHARE MODE`);
          for (let i = 0; i < 40; i++) write(`burst ${mode} ${i}`);
          const waitingLanes = async () =>
            Number(
              ((await tryQuery<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [
                applicationName,
              ])) ?? [{ n: '0' }])[0]?.n,
            );
          await eventually(async () => (await waitingLanes()) === LANES, { timeoutMillis: 10_000 });
          const blocked = await waitingLanes();
          const pendingAtRestart = running.stats().pipeline.pending;
          const retriedBefore = running.stats().pipeline.retried;

          await server.restart(mode);
          // The blocker's backend is gone with the old server.
          blocker.release(true);
          const restartedAt = performance.now();

          // Recovery: a run written after the restart is stored, finished.
          const probe = runs.length;
          await eventually(async () => runs.length > probe && (await storedFinished(runs[probe] as string)), { timeoutMillis: 10_000, intervalMillis: 20 });
          const recoveryMillis = performance.now() - restartedAt;
          expect(running.stats().pipeline.retried).toBeGreaterThan(retriedBefore);

          // The listener noticed the loss, reconnected, and events flow again: one for a run
          // started after the reconnect arrives.
          await eventually(() => logCount('event listening connection lost; reconnecting') === restartNumber, { timeoutMillis: 10_000 });
          await eventually(() => logCount('event listening connection restored') === restartNumber, { timeoutMillis: 10_000 });
          const afterReconnect = runs.length;
          await eventually(() => runs.length > afterReconnect && events.some((event) => runs.indexOf(event.runId) >= afterReconnect), {
            timeoutMillis: 10_000,
          });
          restarts.push({ mode, pendingAtRestart, blocked, recoveryMillis: Math.round(recoveryMillis) });
        }
        clearInterval(producer);
        producer = undefined;

        // Each restart hit writes in flight (every lane waiting on the lock) with more queued.
        for (const restart of restarts) {
          expect(restart.blocked).toBe(LANES);
          expect(restart.pendingAtRestart).toBeGreaterThan(LANES);
          // The plan says recovery within about a second; generous for loaded CI machines.
          expect(restart.recoveryMillis).toBeLessThan(8_000);
        }
        const log = await server.log();
        expect(log).toContain('received fast shutdown request');
        expect(log).toContain('received immediate shutdown request');
        expect(log).toContain('automatic recovery in progress');

        // The buffer drains.
        const flush = await running.forceFlush(20_000);
        expect(flush.timedOut).toBe(false);
        const stats = flush.stats;
        expect(stats.pending).toBe(0);
        expect(stats.retried).toBeGreaterThan(0);
        // With retries that outlast the restarts nothing fails and nothing is dropped; and in any
        // case dropped = produced − persisted, exactly.
        expect(stats).toMatchObject({ failed: 0, dropped: { queueFull: 0, orphaned: 0, shutdown: 0 } });
        expect(lines.filter((line) => line.level === 'warn' && line.message.startsWith('export failed'))).toEqual([]);

        // The database holds exactly what the pipeline says it wrote: each run once, finished,
        // with steps 1…STEPS (no duplicate, no gap), each completed.
        const rows = (
          await admin.query(
            `SELECT r.id, r.status, r.finished_at IS NOT NULL AS finished,
                COALESCE(array_agg(s.step_number ORDER BY s.step_number) FILTER (WHERE s.id IS NOT NULL), '{}') AS numbers,
                count(s.id) FILTER (WHERE s.status = 'completed' AND s.finished_at IS NOT NULL)::int AS completed_steps
              FROM "${schema}".chat_debug_runs r LEFT JOIN "${schema}".chat_debug_steps s ON s.run_id = r.id
              WHERE r.chat_id = $1 GROUP BY r.id`,
            [chatId],
          )
        ).rows as { id: string; status: string; finished: boolean; numbers: number[]; completed_steps: number }[];
        expect(rows.length).toBe(runs.length);
        expect(new Set(rows.map((row) => row.id))).toEqual(new Set(runs));
        const numbers = Array.from({ length: STEPS }, (_, n) => n + 1);
        for (const row of rows) expect(row).toMatchObject({ status: 'completed', finished: true, numbers, completed_steps: STEPS });
        const stepsStored = rows.reduce((sum, row) => sum + row.numbers.length, 0);
        // createRun + finalizeRun per run, createStep + the step's end per step.
        const persisted = 2 * rows.length + 2 * stepsStored;
        expect(stats.enqueued).toBe(2 * runs.length * (1 + STEPS));
        expect(stats.written).toBe(persisted);
        expect(droppedTotal(stats)).toBe(stats.enqueued - persisted);
        // Several hundred spans (a run and its steps each) were produced across the restarts.
        expect(runs.length * (1 + STEPS)).toBeGreaterThan(300);
      } finally {
        if (producer) clearInterval(producer);
        await tracer?.shutdown(5_000);
        await exporter.shutdown();
        await bus?.shutdown();
        await publishPool?.end();
        watch.stop();
      }
      expect(watch.failures).toEqual([]);
    });
  },
);
