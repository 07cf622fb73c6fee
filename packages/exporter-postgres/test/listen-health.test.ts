import { EventEmitter } from 'node:events';
import type { DebugEvent } from '@chatdebug/sdk';
import { ChatDebugError, debugEvent, encodeEvent, eventChannel, newId } from '@chatdebug/sdk';
import { MockClock } from '@chatdebug/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { ListenClientLike } from '../src/index.js';
import { DEFAULT_HEALTH_CHECK_INTERVAL_MILLIS, DEFAULT_LISTEN_QUERY_TIMEOUT_MILLIS, PostgresEventBus } from '../src/index.js';
import { capturingLogger } from './support.js';

// The listening connection's deadlines and health check on mock time, with a stand-in for
// `pg.Client` that can stop answering (a connection that died without an error or a reset). The
// same path against a real server behind a stalling TCP proxy is in server-faults.test.ts.

/** A listening connection whose answers can stop, as over a silent partition. */
class FakeListenClient extends EventEmitter {
  /** When true, statements are never answered. */
  hung = false;
  ended = false;
  readonly queries: string[] = [];

  async connect(): Promise<void> {}

  query(text: string): Promise<unknown> {
    this.queries.push(text);
    return this.hung ? new Promise(() => undefined) : Promise.resolve({ rows: [] });
  }

  async end(): Promise<void> {
    this.ended = true;
  }

  notify(event: DebugEvent): void {
    this.emit('notification', { channel: eventChannel(event.chatId), payload: encodeEvent(event) });
  }
}

describe('the listening connection: deadlines and health check', () => {
  const INTERVAL = 1_000;
  const TIMEOUT = 300;
  let clock: MockClock;
  let clients: FakeListenClient[];
  let bus: PostgresEventBus | undefined;

  const newBus = (options: { healthCheckIntervalMillis?: number } = {}) => {
    clock = new MockClock();
    clients = [];
    const { logger, lines } = capturingLogger();
    bus = new PostgresEventBus({
      db: { query: async () => ({ rows: [] }) },
      createListenClient: () => {
        const client = new FakeListenClient();
        clients.push(client);
        return client as unknown as ListenClientLike;
      },
      clock,
      logger,
      queryTimeoutMillis: TIMEOUT,
      healthCheckIntervalMillis: options.healthCheckIntervalMillis ?? INTERVAL,
      reconnect: { initialDelayMillis: 100, maxDelayMillis: 100 },
    });
    return { bus, lines };
  };

  afterEach(async () => {
    await bus?.shutdown();
    bus = undefined;
  });

  it('defaults: a 5 s deadline on each statement, a health check every 15 s', () => {
    expect(DEFAULT_LISTEN_QUERY_TIMEOUT_MILLIS).toBe(5_000);
    expect(DEFAULT_HEALTH_CHECK_INTERVAL_MILLIS).toBe(15_000);
  });

  it('checks the connection every interval; an unanswered check replaces it, and the channels are LISTENed again', async () => {
    const { bus, lines } = newBus();
    const chat = newId();
    const events: DebugEvent[] = [];
    await bus.subscribe(chat, (event) => events.push(event));
    const [first] = clients;
    expect(first?.queries).toEqual([`LISTEN "${eventChannel(chat)}"`]);

    await clock.advanceAsync(INTERVAL);
    await clock.advanceAsync(INTERVAL);
    expect(first?.queries.slice(1)).toEqual(['SELECT 1', 'SELECT 1']);
    expect(first?.ended).toBe(false);

    first!.hung = true;
    await clock.advanceAsync(INTERVAL + TIMEOUT - 1);
    expect(first?.ended).toBe(false);
    await clock.advanceAsync(1);
    expect(first?.ended).toBe(true);
    expect(lines.find((line) => line.message === 'event listening connection lost; reconnecting')?.attributes?.error).toContain(
      `did not answer SELECT within ${TIMEOUT} ms`,
    );

    // After the backoff (at most 100 ms) a new connection LISTENs on the same channel.
    await clock.advanceAsync(100);
    expect(clients).toHaveLength(2);
    const second = clients[1]!;
    expect(second.queries).toEqual([`LISTEN "${eventChannel(chat)}"`]);
    // Only the current connection delivers.
    const late = debugEvent('run_update', chat, newId());
    first!.notify(late);
    const fresh = debugEvent('delete', chat);
    second.notify(fresh);
    expect(events).toEqual([fresh]);
    // The old connection's interval is gone: only the new one is checked.
    await clock.advanceAsync(INTERVAL);
    expect(first?.queries.filter((q) => q === 'SELECT 1')).toHaveLength(3);
    expect(second.queries.slice(1)).toEqual(['SELECT 1']);
  });

  it('a LISTEN that gets no answer rejects with unavailable at its deadline, destroying the connection', async () => {
    const { bus } = newBus({ healthCheckIntervalMillis: 0 });
    await bus.subscribe(newId(), () => undefined);
    const [first] = clients;
    first!.hung = true;
    const pending = bus.subscribe(newId(), () => undefined).then(
      () => undefined,
      (error: unknown) => error,
    );
    await clock.advanceAsync(TIMEOUT);
    const error = await pending;
    expect(ChatDebugError.is(error, 'unavailable')).toBe(true);
    expect((error as Error).message).toContain(`did not answer LISTEN within ${TIMEOUT} ms`);
    expect(first?.ended).toBe(true);
    // The remaining channel is LISTENed again on a new connection.
    await clock.advanceAsync(100);
    expect(clients).toHaveLength(2);
    expect(clients[1]?.queries).toHaveLength(1);
  });

  it('an UNLISTEN that gets no answer never throws; the connection is replaced', async () => {
    const { bus } = newBus({ healthCheckIntervalMillis: 0 });
    await bus.subscribe(newId(), () => undefined);
    const stop = await bus.subscribe(newId(), () => undefined);
    clients[0]!.hung = true;
    const stopping = stop();
    await clock.advanceAsync(TIMEOUT);
    await expect(stopping).resolves.toBeUndefined();
    expect(clients[0]?.ended).toBe(true);
    await clock.advanceAsync(100);
    expect(clients[1]?.queries).toHaveLength(1);
  });

  it('shutdown leaves no timer armed', async () => {
    const { bus } = newBus();
    await bus.subscribe(newId(), () => undefined);
    expect(clock.pendingTimers).toBeGreaterThan(0);
    await bus.shutdown();
    expect(clock.pendingTimers).toBe(0);
  });
});
