import type { DebugEvent } from '@chatdebug/sdk';
import { BROADCAST_CHANNEL, DebugService, InvalidArgumentError, NIL_UUID, debugEvent, newId } from '@chatdebug/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockClock } from '@chatdebug/testing';
import { PostgresEventBus } from '../src/index.js';
import type { CapturedLog, TestDatabase } from './support.js';
import { BACKENDS, DATABASE_URL, ManualClock, capturingLogger, eventually, openTestDatabase } from './support.js';

for (const backend of BACKENDS) {
  describe.skipIf(!backend.enabled)(`PostgresEventBus on ${backend.kind}`, () => {
    let t: TestDatabase;
    let bus: PostgresEventBus;
    let lines: CapturedLog[];

    const newBus = () => {
      const captured = capturingLogger();
      lines = captured.lines;
      return backend.kind === 'pglite'
        ? new PostgresEventBus({ db: t.db, logger: captured.logger })
        : new PostgresEventBus({ db: t.db, connectionString: DATABASE_URL, logger: captured.logger });
    };

    beforeAll(async () => {
      t = await openTestDatabase(backend.kind);
      bus = newBus();
    });
    afterAll(async () => {
      await bus?.shutdown();
      await t?.close();
    });

    /** Subscribes a collector; `until` waits for the n-th event. */
    const collect = async (target: string, into: DebugEvent[] = []) => {
      const stop = await bus.subscribe(target, (event) => into.push(event));
      return { events: into, stop, until: (count: number) => eventually(() => into.length >= count) };
    };

    it('delivers a published event, ids only, to the chat channel subscriber', async () => {
      const chat = newId();
      const sub = await collect(chat);
      const event = debugEvent('step_update', chat, newId(), newId());
      await bus.publish(event);
      await sub.until(1);
      expect(sub.events).toEqual([event]);
      await sub.stop();
    });

    it('keeps chats apart, and maps the nil chat id to the broadcast channel', async () => {
      const chatA = newId();
      const a = await collect(chatA);
      const broadcast = await collect('broadcast');
      await bus.publish(debugEvent('run_update', newId(), newId()));
      await bus.publish(debugEvent('finalize', NIL_UUID));
      await bus.publish(debugEvent('delete', chatA));
      await a.until(1);
      await broadcast.until(1);
      expect(a.events.map((e) => e.kind)).toEqual(['delete']);
      expect(broadcast.events).toEqual([debugEvent('finalize')]);
      await a.stop();
      await broadcast.stop();
    });

    it('an upper-case chat id subscribes to the same (lower-case) channel', async () => {
      const chat = newId();
      const sub = await collect(chat.toUpperCase());
      await bus.publish(debugEvent('delete', chat));
      await sub.until(1);
      await sub.stop();
    });

    it('after unsubscribe nothing more arrives; other subscribers of the channel keep receiving', async () => {
      const chat = newId();
      const sentinelChat = newId();
      const first = await collect(chat);
      const second = await collect(chat);
      const sentinel = await collect(sentinelChat);
      await first.stop();
      await first.stop();
      await bus.publish(debugEvent('run_update', chat, newId()));
      await second.until(1);
      await second.stop();
      await bus.publish(debugEvent('run_update', chat, newId()));
      // Notifications arrive in publish order: once the sentinel's event is in, an event for the
      // unsubscribed handlers would already have been delivered.
      await bus.publish(debugEvent('delete', sentinelChat));
      await sentinel.until(1);
      expect(first.events).toEqual([]);
      expect(second.events).toHaveLength(1);
      await sentinel.stop();
    });

    it('a throwing handler is logged and does not stop the others', async () => {
      const chat = newId();
      const stopThrowing = await bus.subscribe(chat, () => {
        throw new Error('handler failure');
      });
      const sub = await collect(chat);
      await bus.publish(debugEvent('delete', chat));
      await sub.until(1);
      expect(lines.some((line) => line.level === 'warn' && line.message === 'event handler threw')).toBe(true);
      await stopThrowing();
      await sub.stop();
    });

    it('the service publishes after each committed write: handlers can read the row', async () => {
      const service = new DebugService({ exporter: t.exporter, eventBus: bus, clock: new ManualClock(), logger: capturingLogger().logger });
      const chat = newId();
      const seen: (string | undefined)[] = [];
      const stop = await bus.subscribe(chat, (event) => {
        void t.exporter.getRun(event.runId).then((run) => seen.push(run?.id));
      });
      const broadcast = await collect('broadcast');
      const run = await service.createRun({ chatId: chat, kind: 'chat_turn' });
      await eventually(() => seen.length === 1);
      expect(seen).toEqual([run.id]);
      await service.createStep({ runId: run.id, chatId: chat, stepNumber: 1, operation: 'generate' });
      await eventually(() => seen.length === 2);
      (service.clock as ManualClock).advance(10 * 60_000);
      await service.finalizeStale();
      await broadcast.until(1);
      expect(broadcast.events.map((e) => e.kind)).toContain('finalize');
      await stop();
      await broadcast.stop();
    });

    it('after shutdown, publish does nothing and subscribe rejects', async () => {
      const other = newBus();
      await other.subscribe(newId(), () => undefined);
      await other.shutdown();
      await other.shutdown();
      await expect(other.publish(debugEvent('delete', newId()))).resolves.toBeUndefined();
      await expect(other.subscribe(newId(), () => undefined)).rejects.toMatchObject({ code: 'shutdown' });
    });
  });
}

describe('PostgresEventBus construction', () => {
  it('rejects a missing db and conflicting listen options', () => {
    expect(() => new PostgresEventBus({ db: undefined as never })).toThrow(InvalidArgumentError);
    expect(
      () => new PostgresEventBus({ db: { query: async () => ({ rows: [] }) }, connectionString: 'postgres://x', createListenClient: () => ({}) as never }),
    ).toThrow(InvalidArgumentError);
  });

  it('a bus without a way to listen can publish but not subscribe', async () => {
    const sent: unknown[][] = [];
    const bus = new PostgresEventBus({
      db: {
        query: async (_text, values) => {
          sent.push(values ?? []);
          return { rows: [] };
        },
      },
    });
    const event = debugEvent('finalize');
    await bus.publish(event);
    expect(sent).toEqual([[BROADCAST_CHANNEL, JSON.stringify({ kind: 'finalize', chat_id: NIL_UUID, run_id: NIL_UUID, step_id: NIL_UUID })]]);
    await expect(bus.subscribe('broadcast', () => undefined)).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('shutdown waits for events still being sent (a short-lived writer keeps its last event)', async () => {
    let answer: () => void = () => undefined;
    const bus = new PostgresEventBus({
      db: { query: () => new Promise((resolve) => (answer = () => resolve({ rows: [] }))) },
    });
    const publishing = bus.publish(debugEvent('run_update', newId(), newId()));
    let closed = false;
    const closing = bus.shutdown().then(() => (closed = true));
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    answer();
    await publishing;
    await closing;
    expect(closed).toBe(true);
    await bus.publish(debugEvent('delete', newId())); // after shutdown: dropped, no query
  });

  it('shutdown gives up on an event that never goes out after shutdownTimeoutMillis, and says so', async () => {
    const clock = new MockClock();
    const { logger, lines } = capturingLogger();
    const bus = new PostgresEventBus({ db: { query: () => new Promise(() => undefined) }, clock, logger, shutdownTimeoutMillis: 2_000 });
    void bus.publish(debugEvent('run_update', newId(), newId())).catch(() => undefined);
    let closed = false;
    const closing = bus.shutdown().then(() => (closed = true));
    await clock.advanceAsync(1_999);
    expect(closed).toBe(false);
    await clock.advanceAsync(1);
    await closing;
    expect(lines.some((line) => line.level === 'warn' && line.message.includes('events still being sent'))).toBe(true);
    expect(() => new PostgresEventBus({ db: { query: async () => ({ rows: [] }) }, shutdownTimeoutMillis: -1 })).toThrow(InvalidArgumentError);
  });
});
