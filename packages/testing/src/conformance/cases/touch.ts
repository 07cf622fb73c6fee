import { describe, expect, it } from 'vitest';
import type { ContextAccessor } from '../context.js';

/** §3.7 touchStep (and the run-only heartbeat). */
export function registerTouchCases(ctx: ContextAccessor): void {
  describe('§3.7 touch', () => {
    it('touchStep bumps the step and its run to the clock time, and nothing else', async () => {
      const c = ctx();
      const run = await c.run();
      const step = await c.step(run);
      const now = c.advance(60_000);
      await c.service.touchStep({ stepId: step.id, runId: run.id, chatId: run.chatId });
      expect(await c.storedRun(run.id)).toEqual({ ...run, updatedAt: now });
      expect(await c.storedStep(step)).toEqual({ ...step, updatedAt: now });
    });

    it('a mismatched (run, step) pair refreshes nothing and is not an error', async () => {
      const c = ctx();
      const chatId = c.chat();
      const runA = await c.run({ chatId });
      const runB = await c.run({ chatId });
      const stepA = await c.step(runA);
      c.advance(60_000);
      await expect(c.service.touchStep({ stepId: stepA.id, runId: runB.id, chatId })).resolves.toBeUndefined();
      expect((await c.storedStep(stepA))?.updatedAt).toEqual(stepA.updatedAt);
      expect((await c.storedRun(runA.id))?.updatedAt).toEqual(stepA.updatedAt);
      expect((await c.storedRun(runB.id))?.updatedAt).toEqual(runB.updatedAt);
    });

    it('a mismatched chat refreshes nothing and is not an error', async () => {
      const c = ctx();
      const run = await c.run();
      const step = await c.step(run);
      c.advance(60_000);
      await c.service.touchStep({ stepId: step.id, runId: run.id, chatId: c.chat() });
      expect((await c.storedStep(step))?.updatedAt).toEqual(step.updatedAt);
      expect((await c.storedRun(run.id))?.updatedAt).toEqual(step.updatedAt);
    });

    it('touching publishes no event', async () => {
      const c = ctx();
      const run = await c.run();
      const step = await c.step(run);
      c.quiet();
      c.advance(1_000);
      await c.service.touchStep({ stepId: step.id, runId: run.id, chatId: run.chatId });
      await c.service.touchRun({ runId: run.id, chatId: run.chatId });
      expect(c.bus.events).toEqual([]);
      expect((await c.storedStep(step))?.updatedAt).toEqual(c.clock.now());
    });

    it('no finished_at check: a finalized run and step are still bumped, finished_at unchanged', async () => {
      const c = ctx();
      const run = await c.run();
      const step = await c.step(run);
      const finishedStep = await c.service.updateStep({ id: step.id, chatId: run.chatId, status: 'completed' });
      const finishedRun = await c.finish(run);
      const now = c.advance(60_000);
      await c.service.touchStep({ stepId: step.id, runId: run.id, chatId: run.chatId });
      expect(await c.storedRun(run.id)).toEqual({ ...finishedRun, updatedAt: now });
      expect(await c.storedStep(step)).toEqual({ ...finishedStep, updatedAt: now });
    });

    it('touches never move updated_at backwards', async () => {
      const c = ctx();
      const run = await c.run();
      const step = await c.step(run);
      const later = c.advance(60_000);
      await c.service.touchStep({ stepId: step.id, runId: run.id, chatId: run.chatId });
      const earlier = new Date(later.getTime() - 30_000);
      await c.service.touchStep({ stepId: step.id, runId: run.id, chatId: run.chatId, at: earlier });
      await c.service.touchRun({ runId: run.id, chatId: run.chatId, at: earlier });
      expect((await c.storedRun(run.id))?.updatedAt).toEqual(later);
      expect((await c.storedStep(step))?.updatedAt).toEqual(later);
    });

    it('touchRun bumps the run alone; a mismatched chat refreshes nothing', async () => {
      const c = ctx();
      const run = await c.run();
      const step = await c.step(run);
      const now = c.advance(60_000);
      await c.service.touchRun({ runId: run.id, chatId: run.chatId });
      expect((await c.storedRun(run.id))?.updatedAt).toEqual(now);
      expect((await c.storedStep(step))?.updatedAt).toEqual(step.updatedAt);
      c.advance(60_000);
      await c.service.touchRun({ runId: run.id, chatId: c.chat() });
      expect((await c.storedRun(run.id))?.updatedAt).toEqual(now);
    });
  });
}
