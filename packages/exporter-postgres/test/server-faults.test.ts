import type { DebugEvent } from '@chatdebug/sdk';
import { ChatDebugError, DebugService, InvalidArgumentError, debugEvent, newId } from '@chatdebug/sdk';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEventBus, PostgresExporter, createPool, migrate } from '../src/index.js';
import { FaultProxy } from './fault-proxy.js';
import { DATABASE_URL, HAS_SERVER, ManualClock, capturingLogger, dropSchema, eventually, randomSchema, serverPool } from './support.js';

const SECRET = 's3cr3t-Passw0rd';
/** Nothing listens on port 1: connections are refused at once. */
const REFUSED_URL = `postgres://postgres:${SECRET}@127.0.0.1:1/test`;

describe.skipIf(!HAS_SERVER)('faults on a real PostgreSQL server', () => {
  let admin: pg.Pool;
  let schema: string;

  beforeAll(async () => {
    admin = serverPool({ max: 4 });
    schema = randomSchema('cdfault');
    await migrate(admin, { schema, logger: capturingLogger().logger });
  });
  afterAll(async () => {
    await dropSchema(admin, schema);
    await admin.end();
  });

  const backendsOf = async (applicationName: string) => {
    const result = await admin.query('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
    return (result.rows as { pid: number }[]).map((row) => row.pid);
  };
  const terminate = async (applicationName: string) => {
    const result = await admin.query('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
    return result.rowCount ?? 0;
  };

  /** Subscribes a collector to a new chat and waits for an event published there. */
  const listeningChat = async (bus: PostgresEventBus) => {
    const chat = newId();
    const events: DebugEvent[] = [];
    await bus.subscribe(chat, (event) => events.push(event));
    await bus.publish(debugEvent('run_update', chat, newId()));
    await eventually(() => events.length === 1);
    return { chat, events };
  };

  /**
   * Publishes on `chat` until one more event has arrived in `events`: those NOTIFYed while the
   * listener is down are lost, so a single publish after a reconnect could be missed.
   */
  const untilAnEventArrives = (bus: PostgresEventBus, chat: string, events: DebugEvent[]) => {
    const before = events.length;
    return eventually(
      async () => {
        await bus.publish(debugEvent('run_update', chat, newId()));
        return events.length > before;
      },
      { timeoutMillis: 15_000, intervalMillis: 25 },
    );
  };

  it('after the listener backend is killed, it reconnects and events flow again', async () => {
    const applicationName = randomSchema('cdlisten');
    const { logger, lines } = capturingLogger();
    const bus = new PostgresEventBus({
      db: admin,
      createListenClient: () => new pg.Client({ connectionString: DATABASE_URL, application_name: applicationName }),
      reconnect: { initialDelayMillis: 10, maxDelayMillis: 100 },
      logger,
    });
    try {
      const { chat, events } = await listeningChat(bus);
      for (let kill = 1; kill <= 2; kill++) {
        expect(await terminate(applicationName)).toBe(1);
        // The dying backend may still deliver a notification, so first see the loss noticed.
        const lost = () => lines.filter((line) => line.message === 'event listening connection lost; reconnecting').length;
        await eventually(() => lost() === kill, { timeoutMillis: 15_000 });
        await untilAnEventArrives(bus, chat, events);
      }
      expect(lines.filter((line) => line.message === 'event listening connection lost; reconnecting')).toHaveLength(2);
      await eventually(async () => (await backendsOf(applicationName)).length === 1);
      // A new channel subscribes on the new connection.
      const other = newId();
      const more: DebugEvent[] = [];
      await bus.subscribe(other, (event) => more.push(event));
      await bus.publish(debugEvent('delete', other));
      await eventually(() => more.length === 1);
    } finally {
      await bus.shutdown();
    }
    await eventually(async () => (await backendsOf(applicationName)).length === 0);
  });

  /** A bus whose listening connection goes through `proxy`, with short deadlines; it publishes on `admin`. */
  const busBehind = (proxy: FaultProxy, options: { healthCheckIntervalMillis: number }) => {
    const { logger, lines } = capturingLogger();
    const bus = new PostgresEventBus({
      db: admin,
      connectionString: proxy.url(DATABASE_URL ?? ''),
      connectionTimeoutMillis: 500,
      healthCheckIntervalMillis: options.healthCheckIntervalMillis,
      // Generous against a busy CI machine: a healthy check must never miss it.
      queryTimeoutMillis: 1_000,
      reconnect: { initialDelayMillis: 10, maxDelayMillis: 200 },
      logger,
    });
    return { bus, lines };
  };

  it('a listening connection that silently hangs fails its health check, is destroyed and replaced', async () => {
    const proxy = await FaultProxy.start(DATABASE_URL ?? '');
    const { bus, lines } = busBehind(proxy, { healthCheckIntervalMillis: 100 });
    const lost = () => lines.filter((line) => line.message === 'event listening connection lost; reconnecting');
    try {
      // Published on `admin`, around the proxy: only the listener's path hangs.
      const { chat, events } = await listeningChat(bus);
      // Healthy: the checks pass and nothing is lost.
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(lost()).toEqual([]);

      const [listening, ...others] = proxy.openSockets();
      expect(others).toEqual([]);
      proxy.mode = 'stall';
      // No error, no end, no reset: only the unanswered health check reveals it.
      await eventually(() => lost().length === 1, { timeoutMillis: 5_000 });
      expect(String(lost()[0]?.attributes?.error)).toContain('did not answer SELECT within 1000 ms');
      await eventually(() => listening?.destroyed === true, { timeoutMillis: 5_000 });

      proxy.mode = 'forward';
      // Reconnected through the proxy: events flow again.
      await untilAnEventArrives(bus, chat, events);
    } finally {
      await bus.shutdown();
      await proxy.close();
    }
  });

  it('LISTEN on a connection that hangs rejects with unavailable at its deadline, and the next subscribe reconnects', async () => {
    const proxy = await FaultProxy.start(DATABASE_URL ?? '');
    const { bus } = busBehind(proxy, { healthCheckIntervalMillis: 0 });
    try {
      await bus.subscribe(newId(), () => undefined);
      const [listening] = proxy.openSockets();
      proxy.mode = 'stall';
      const started = performance.now();
      const error = await bus.subscribe(newId(), () => undefined).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(ChatDebugError.is(error, 'unavailable')).toBe(true);
      expect(String((error as Error).message)).toContain('did not answer LISTEN within 1000 ms');
      expect(performance.now() - started).toBeLessThan(5_000);
      await eventually(() => listening?.destroyed === true, { timeoutMillis: 5_000 });

      proxy.mode = 'forward';
      const chat = newId();
      const events: DebugEvent[] = [];
      await eventually(
        async () =>
          bus.subscribe(chat, (event) => events.push(event)).then(
            () => true,
            () => false,
          ),
        { timeoutMillis: 10_000, intervalMillis: 50 },
      );
      await bus.publish(debugEvent('delete', chat));
      await eventually(() => events.length === 1);
    } finally {
      await bus.shutdown();
      await proxy.close();
    }
  });

  it('rejects a health check without a statement deadline, and negative durations', () => {
    expect(() => new PostgresEventBus({ db: admin, connectionString: DATABASE_URL, queryTimeoutMillis: 0 })).toThrow(InvalidArgumentError);
    expect(() => new PostgresEventBus({ db: admin, connectionString: DATABASE_URL, queryTimeoutMillis: 0, healthCheckIntervalMillis: 0 })).not.toThrow();
    expect(() => new PostgresEventBus({ db: admin, connectionString: DATABASE_URL, healthCheckIntervalMillis: -1 })).toThrow(InvalidArgumentError);
    expect(() => new PostgresEventBus({ db: admin, connectionString: DATABASE_URL, keepAliveInitialDelayMillis: -1 })).toThrow(InvalidArgumentError);
  });

  it('a listener that cannot connect rejects subscribe with unavailable, without the password', async () => {
    const bus = new PostgresEventBus({ db: admin, connectionString: REFUSED_URL, connectionTimeoutMillis: 2_000, logger: capturingLogger().logger });
    const error = await bus.subscribe(newId(), () => undefined).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(ChatDebugError.is(error, 'unavailable')).toBe(true);
    expect(String((error as Error).message)).not.toContain(SECRET);
    await bus.shutdown();
  });

  it('an exporter on a refused connection string fails with unavailable, never echoing the secret', async () => {
    const { logger, lines } = capturingLogger();
    const exporter = new PostgresExporter({ connectionString: REFUSED_URL, connectionTimeoutMillis: 2_000, schema, logger });
    const error = await exporter.getRun(newId()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(ChatDebugError.is(error, 'unavailable')).toBe(true);
    expect((error as Error).message).not.toContain(SECRET);
    expect(JSON.stringify(lines)).not.toContain(SECRET);
    await exporter.shutdown();
  });

  it('rejects invalid option combinations at construction', () => {
    expect(() => new PostgresExporter({})).toThrow(InvalidArgumentError);
    expect(() => new PostgresExporter({ pool: admin, connectionString: DATABASE_URL })).toThrow(InvalidArgumentError);
    expect(() => new PostgresExporter({ pool: admin, statementTimeoutMillis: 5 })).toThrow(InvalidArgumentError);
    expect(() => new PostgresExporter({ connectionString: '  ' })).toThrow(InvalidArgumentError);
    expect(() => new PostgresExporter({ connectionString: DATABASE_URL, connectionTimeoutMillis: -1 })).toThrow(InvalidArgumentError);
  });

  it('an owned pool survives its idle connections being killed, and shutdown ends only it', async () => {
    const applicationName = randomSchema('cdowned');
    const { logger, lines } = capturingLogger();
    const exporter = new PostgresExporter({ connectionString: DATABASE_URL, applicationName, schema, logger });
    const service = new DebugService({ exporter, clock: new ManualClock(), logger });
    const run = await service.createRun({ chatId: newId(), kind: 'chat_turn' });
    expect(await terminate(applicationName)).toBeGreaterThan(0);
    await eventually(() => lines.some((line) => line.message.startsWith('an idle PostgreSQL connection failed')));
    expect(await exporter.getRun(run.id)).toEqual(run);
    await exporter.shutdown();
    await exporter.shutdown();
    await eventually(async () => (await backendsOf(applicationName)).length === 0);
    await expect(exporter.getRun(run.id)).rejects.toMatchObject({ code: 'shutdown' });
    // A pool passed in is left open.
    const borrowed = new PostgresExporter({ pool: admin, schema });
    await borrowed.shutdown();
    await expect(admin.query('SELECT 1')).resolves.toBeDefined();
  });

  it('a pool passed in without an error listener survives its idle connection being killed', async () => {
    // No pool.on('error') here: without chatdebug's fallback listener, node-postgres would
    // throw the idle connection's error out of an 'error' event nobody listens to.
    const applicationName = randomSchema('cdbare');
    const pool = new pg.Pool({ connectionString: DATABASE_URL, application_name: applicationName, max: 1 });
    const { logger, lines } = capturingLogger();
    const exporter = new PostgresExporter({ pool, schema, logger });
    try {
      await expect(exporter.getRun(newId())).resolves.toBeUndefined();
      expect(await terminate(applicationName)).toBe(1);
      await eventually(() => lines.some((line) => line.level === 'warn' && line.message.startsWith('an idle connection of the pool given to chatdebug failed')));
      await expect(exporter.getRun(newId())).resolves.toBeUndefined();
    } finally {
      await pool.end();
    }
  });

  it('createPool sets statement_timeout and connect timeouts on every connection', async () => {
    const pool = await createPool({ connectionString: DATABASE_URL ?? '', statementTimeoutMillis: 1_234, logger: capturingLogger().logger });
    try {
      expect((await pool.query('SHOW statement_timeout')).rows).toEqual([{ statement_timeout: '1234ms' }]);
      expect((pool as unknown as pg.Pool).options).toMatchObject({ keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
      await expect(pool.query('SELECT pg_sleep(5)')).rejects.toMatchObject({ code: '57014' });
    } finally {
      await pool.end();
    }
  });

  it('a held connection whose backend is killed mid-statement fails the call, not the process', async () => {
    const applicationName = randomSchema('cdheld');
    const pool = serverPool({ max: 2, applicationName });
    const exporter = new PostgresExporter({ pool, schema });
    const service = new DebugService({ exporter, clock: new ManualClock(Date.UTC(2026, 0, 1)), logger: capturingLogger().logger });
    const run = await service.createRun({ chatId: newId(), kind: 'chat_turn' });
    const holder = await admin.connect();
    try {
      // Another session locks the stale run, so the sweep's statement waits on a held connection.
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM "${schema}".chat_debug_runs WHERE id = $1 FOR UPDATE`, [run.id]);
      (service.clock as ManualClock).advance(3_600_000);
      const sweep = service.finalizeStale().then(
        () => undefined,
        (e: unknown) => e,
      );
      await eventually(async () => {
        const waiting = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [
          applicationName,
        ]);
        return (waiting.rows[0] as { n: number }).n === 1;
      });
      expect(await terminate(applicationName)).toBeGreaterThan(0);
      const error = await sweep;
      expect(ChatDebugError.is(error, 'unavailable')).toBe(true);
      await holder.query('ROLLBACK');
      // The pool replaced the dead connection.
      expect(await service.finalizeStale()).toEqual({ runsFinalized: 1, stepsFinalized: 0 });
    } finally {
      holder.release();
      await pool.end();
    }
  });

  it('migrate holding its connection survives that backend being killed while it waits for the lock', async () => {
    const target = randomSchema('cdmigkill');
    const applicationName = randomSchema('cdmigapp');
    const pool = serverPool({ max: 2, applicationName });
    const holder = await admin.connect();
    try {
      await holder.query("SELECT pg_advisory_lock(hashtext('chatdebug.migrate'), hashtext($1))", [target]);
      const { logger, lines } = capturingLogger();
      const pending = migrate(pool, { schema: target, logger }).then(
        () => undefined,
        (e: unknown) => e,
      );
      // Between two attempts at the busy lock the held connection sits idle: killing its backend
      // then raises the 'error' event that only migrate's own listener catches.
      await eventually(() => lines.some((line) => line.message.startsWith('another session is migrating this schema')));
      expect(await terminate(applicationName)).toBe(1);
      expect(ChatDebugError.is(await pending, 'migration_failed')).toBe(true);
      await holder.query("SELECT pg_advisory_unlock(hashtext('chatdebug.migrate'), hashtext($1))", [target]);
      await expect(migrate(pool, { schema: target, logger: capturingLogger().logger })).resolves.toMatchObject({ applied: [1, 2] });
    } finally {
      holder.release();
      await dropSchema(admin, target);
      await pool.end();
    }
  });
});
