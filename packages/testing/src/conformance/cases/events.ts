import type { DebugEvent } from '@chatdebug/sdk';
import { BROADCAST_CHANNEL, DEFAULT_STALE_AFTER_MILLIS, NIL_UUID } from '@chatdebug/sdk';
import { describe, expect, it } from 'vitest';
import type { ExporterMethod } from '../../fault-injecting-exporter.js';
import type { ConformanceContext, ContextAccessor } from '../context.js';

interface FailingWrite {
  readonly name: string;
  readonly method: ExporterMethod;
  /** Prepares rows and returns the write to attempt. */
  readonly setup: (c: ConformanceContext) => Promise<() => Promise<unknown>>;
}

const FAILING_WRITES: readonly FailingWrite[] = [
  { name: 'createRun', method: 'insertRun', setup: async (c) => () => c.run() },
  {
    name: 'updateRun',
    method: 'updateRun',
    setup: async (c) => {
      const run = await c.run();
      return () => c.finish(run);
    },
  },
  {
    name: 'createStep',
    method: 'insertStep',
    setup: async (c) => {
      const run = await c.run();
      return () => c.step(run);
    },
  },
  {
    name: 'updateStep',
    method: 'updateStep',
    setup: async (c) => {
      const run = await c.run();
      const step = await c.step(run);
      return () => c.service.updateStep({ id: step.id, chatId: run.chatId, status: 'completed' });
    },
  },
  {
    name: 'finalizeRun',
    method: 'updateRun',
    setup: async (c) => {
      const run = await c.run();
      return () => c.service.finalizeRun({ runId: run.id, chatId: run.chatId, status: 'completed' });
    },
  },
  {
    name: 'deleteByChatId',
    method: 'deleteByChatId',
    setup: async (c) => {
      const run = await c.run();
      return () => c.service.deleteByChatId(run.chatId, c.advance(1));
    },
  },
  {
    name: 'deleteAfterMessageId',
    method: 'deleteAfterMessageId',
    setup: async (c) => {
      const run = await c.run({ triggerMessageId: 5 });
      return () => c.service.deleteAfterMessageId(run.chatId, 1, c.advance(1));
    },
  },
  {
    name: 'finalizeStale',
    method: 'finalizeStale',
    setup: async (c) => {
      await c.run();
      c.advance(DEFAULT_STALE_AFTER_MILLIS + 1);
      return () => c.service.finalizeStale();
    },
  },
];

/** True when the error, or an error in its `cause` chain, carries `code`. */
function hasCode(error: unknown, code: string): boolean {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 10; depth++) {
    if ((current as { code?: unknown }).code === code) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** §2 events and §3's "publish after the write succeeded" rule (behaviour 25). */
export function registerEventCases(ctx: ContextAccessor): void {
  describe('events and ordering', () => {
    it('[#25] createRun publishes exactly one run_update with chat and run ids and a nil step id on chat_debug:<chat>', async () => {
      const c = ctx();
      const run = await c.run();
      expect(c.bus.events).toEqual([{ kind: 'run_update', chatId: run.chatId, runId: run.id, stepId: NIL_UUID, channel: `chat_debug:${run.chatId}` }]);
    });

    it('createStep and updateStep publish step_update with chat, run and step ids', async () => {
      const c = ctx();
      const run = await c.run();
      c.quiet();
      const step = await c.step(run);
      await c.service.updateStep({ id: step.id, chatId: run.chatId, status: 'completed' });
      const expected = { kind: 'step_update', chatId: run.chatId, runId: run.id, stepId: step.id, channel: `chat_debug:${run.chatId}` };
      expect(c.bus.events).toEqual([expected, expected]);
    });

    it('updateRun and finalizeRun publish run_update with a nil step id', async () => {
      const c = ctx();
      const run = await c.run();
      c.quiet();
      await c.service.updateRun({ id: run.id, chatId: run.chatId, model: 'm' });
      await c.service.finalizeRun({ runId: run.id, chatId: run.chatId, status: 'completed' });
      const expected = { kind: 'run_update', chatId: run.chatId, runId: run.id, stepId: NIL_UUID, channel: `chat_debug:${run.chatId}` };
      expect(c.bus.events).toEqual([expected, expected]);
    });

    it('events follow the order of the writes', async () => {
      const c = ctx();
      const run = await c.run();
      const step = await c.step(run);
      await c.service.updateStep({ id: step.id, chatId: run.chatId, status: 'completed' });
      await c.service.finalizeRun({ runId: run.id, chatId: run.chatId, status: 'completed' });
      await c.service.deleteByChatId(run.chatId, c.advance(1));
      expect(c.bus.kinds()).toEqual(['run_update', 'step_update', 'step_update', 'run_update', 'delete']);
    });

    it("subscribers of a chat receive that chat's events only; broadcast subscribers receive the sweep's", async () => {
      const c = ctx();
      const mine = c.chat();
      const chatEvents: DebugEvent[] = [];
      const broadcastEvents: DebugEvent[] = [];
      const stopChat = await c.bus.subscribe(mine, (event) => chatEvents.push(event));
      const stopBroadcast = await c.bus.subscribe('broadcast', (event) => broadcastEvents.push(event));
      const run = await c.run({ chatId: mine });
      await c.run();
      c.advance(DEFAULT_STALE_AFTER_MILLIS + 1);
      await c.service.finalizeStale();
      await stopChat();
      await stopBroadcast();
      await c.service.deleteByChatId(mine, c.clock.now());
      expect(chatEvents).toEqual([{ kind: 'run_update', chatId: mine, runId: run.id, stepId: NIL_UUID }]);
      expect(broadcastEvents).toEqual([{ kind: 'finalize', chatId: NIL_UUID, runId: NIL_UUID, stepId: NIL_UUID }]);
      expect(c.bus.events.at(-2)?.channel).toBe(BROADCAST_CHANNEL);
    });

    it('a failing event bus never fails the write; the failure is logged', async () => {
      const c = ctx();
      c.bus.failPublishes(new Error('bus down'));
      const run = await c.run();
      const step = await c.step(run);
      expect(await c.storedRun(run.id)).toMatchObject({ id: run.id });
      expect(await c.storedSteps(run.id)).toEqual([step]);
      expect(c.logger.warnings().length).toBeGreaterThanOrEqual(2);
      expect(c.bus.events).toEqual([]);
    });

    for (const write of FAILING_WRITES) {
      it(`a failing write publishes nothing: ${write.name}`, async () => {
        const c = ctx();
        const attempt = await write.setup(c);
        c.quiet();
        c.exporter.failMatching((call) => call.method === write.method, undefined, 1);
        const error = await attempt().then(
          () => undefined,
          (caught: unknown) => caught,
        );
        // The injected connection loss surfaces, as is or wrapped (§3.11 lets finalizeRun wrap it).
        expect(hasCode(error, '57P01')).toBe(true);
        expect(c.exporter.calls.some((call) => call.method === write.method && call.outcome === 'injected')).toBe(true);
        expect(c.bus.events).toEqual([]);
      });
    }
  });
}
