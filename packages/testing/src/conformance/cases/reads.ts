import { StepCounter, newId } from '@chatdebug/sdk';
import { describe, expect, it } from 'vitest';
import type { ContextAccessor } from '../context.js';

/** §8 reads (runs of a chat, a run with its steps) and §4 / behaviour 36 step counter. */
export function registerReadCases(ctx: ContextAccessor): void {
  describe('reads', () => {
    it('listRuns returns the chat\'s runs newest first (started_at desc, then id desc)', async () => {
      const c = ctx();
      const chatId = c.chat();
      const first = await c.run({ chatId });
      c.advance(1_000);
      const [low, high] = [newId(), newId()].sort();
      const tiedA = await c.run({ chatId, id: low });
      const tiedB = await c.run({ chatId, id: high });
      c.advance(1_000);
      const last = await c.run({ chatId });
      expect((await c.service.listRuns(chatId)).map((run) => run.id)).toEqual([last.id, tiedB.id, tiedA.id, first.id]);
    });

    it('listRuns returns at most 100 runs by default, the newest', async () => {
      const c = ctx();
      const chatId = c.chat();
      const ids: string[] = [];
      for (let i = 0; i < 101; i++) {
        ids.push((await c.run({ chatId })).id);
        c.advance(1);
      }
      const listed = await c.service.listRuns(chatId);
      expect(listed).toHaveLength(100);
      expect(listed.map((run) => run.id)).toEqual(ids.slice(1).reverse());
    });

    it('listRuns respects an explicit limit', async () => {
      const c = ctx();
      const chatId = c.chat();
      for (let i = 0; i < 4; i++) {
        await c.run({ chatId });
        c.advance(1);
      }
      expect(await c.service.listRuns(chatId, { limit: 2 })).toHaveLength(2);
      expect(await c.service.listRuns(chatId, { limit: 10 })).toHaveLength(4);
    });

    it("listRuns sees only the chat's own runs; an unknown chat lists nothing", async () => {
      const c = ctx();
      const mine = await c.run();
      await c.run();
      expect((await c.service.listRuns(mine.chatId)).map((run) => run.id)).toEqual([mine.id]);
      expect(await c.service.listRuns(c.chat())).toEqual([]);
    });

    it('getRun returns the run with its steps ordered by step number', async () => {
      const c = ctx();
      const run = await c.run();
      for (const stepNumber of [3, 1, 2]) {
        await c.step(run, { stepNumber });
        c.advance(10);
      }
      const found = await c.service.getRun(run.id, { chatId: run.chatId });
      expect(found?.run.id).toBe(run.id);
      expect(found?.steps.map((step) => step.stepNumber)).toEqual([1, 2, 3]);
      expect((await c.service.listSteps(run.id)).map((step) => step.stepNumber)).toEqual([1, 2, 3]);
    });

    it("getRun: an unknown id or another chat's run → undefined; without a chat, any run by id", async () => {
      const c = ctx();
      const run = await c.run();
      expect(await c.service.getRun(newId())).toBeUndefined();
      expect(await c.service.getRun(run.id, { chatId: c.chat() })).toBeUndefined();
      expect((await c.service.getRun(run.id))?.run).toEqual(run);
      expect(await c.service.listSteps(newId())).toEqual([]);
    });

    it('returned rows are copies: mutating them changes nothing stored', async () => {
      const c = ctx();
      const run = await c.run({ summary: { first_message: 'original' } });
      const step = await c.step(run, { normalizedRequest: { messages: ['a'] } });
      // Deep snapshots taken before any mutation (the reads themselves could be shared references).
      const expectedRun = structuredClone(await c.storedRun(run.id));
      const expectedStep = structuredClone(await c.storedStep(step));
      const found = await c.service.getRun(run.id);
      for (const row of [run, ...(found ? [found.run] : []), ...(await c.service.listRuns(run.chatId))]) {
        row.summary.first_message = 'mutated';
        row.status = 'error';
        row.startedAt.setTime(0);
      }
      for (const row of [step, ...(found?.steps ?? []), ...(await c.service.listSteps(run.id))]) {
        (row.normalizedRequest as { messages: string[] }).messages.push('b');
        row.attempts.push({ injected: true });
        row.updatedAt.setTime(0);
      }
      expect(await c.storedRun(run.id)).toEqual(expectedRun);
      expect(await c.storedStep(step)).toEqual(expectedStep);
    });
  });

  describe('§4 step counter', () => {
    it('[#36] 256 concurrent next() calls yield 1…256; sync(7) → next is 8', async () => {
      const c = ctx();
      const counter = c.service.stepCounter;
      const runId = newId();
      const numbers = await Promise.all(Array.from({ length: 256 }, async () => counter.next(runId)));
      expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: 256 }, (_, i) => i + 1));
      const other = newId();
      counter.sync(other, 7);
      expect(counter.next(other)).toBe(8);
    });

    it('sync never lowers a counter; counters are per run; drop forgets the run', () => {
      const counter = new StepCounter();
      const [a, b] = [newId(), newId()];
      counter.sync(a, 5);
      counter.sync(a, 2);
      expect(counter.next(a)).toBe(6);
      expect(counter.next(b)).toBe(1);
      counter.drop(a);
      expect(counter.peek(a)).toBe(0);
      expect(counter.next(a)).toBe(1);
    });
  });
}
