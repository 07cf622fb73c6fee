import { BROADCAST_CHANNEL, DEFAULT_STALE_AFTER_MILLIS, NIL_UUID } from '@chatdebug/sdk';
import { describe, expect, it } from 'vitest';
import type { ContextAccessor } from '../context.js';

/** §3.10 finalizeStale and §3.12 setStaleAfter (behaviours 21–24). */
export function registerStaleSweepCases(ctx: ContextAccessor): void {
  describe('§3.10 stale sweep', () => {
    it('[#22] a stale run and its step become interrupted with finished_at = updated_at = now; counts 1/1', async () => {
      const c = ctx();
      const run = await c.run();
      const step = await c.step(run);
      const now = c.advance(DEFAULT_STALE_AFTER_MILLIS + 1);
      expect(await c.service.finalizeStale()).toEqual({ runsFinalized: 1, stepsFinalized: 1 });
      expect(await c.storedRun(run.id)).toEqual({ ...run, status: 'interrupted', finishedAt: now, updatedAt: now });
      expect(await c.storedStep(step)).toEqual({ ...step, status: 'interrupted', finishedAt: now, updatedAt: now });
    });

    it('[#21] uses the configured threshold: after setStaleAfter(42 s) the cutoff is now − 42 s', async () => {
      const c = ctx();
      c.service.setStaleAfter(42_000);
      const stale = await c.run();
      c.advance(2_000);
      const fresh = await c.run();
      c.advance(41_000);
      c.quiet();
      expect(await c.service.finalizeStale()).toEqual({ runsFinalized: 1, stepsFinalized: 0 });
      const [call] = c.exporter.calls;
      expect(call?.method === 'finalizeStale' ? call.args[0] : undefined).toEqual({ now: c.clock.now(), updatedBefore: new Date(c.clock.nowMillis() - 42_000) });
      expect((await c.storedRun(stale.id))?.status).toBe('interrupted');
      expect((await c.storedRun(fresh.id))?.status).toBe('in_progress');
    });

    it('the default threshold is 5 minutes, and setStaleAfter ignores values ≤ 0', async () => {
      const c = ctx();
      expect(c.service.staleAfterMillis).toBe(DEFAULT_STALE_AFTER_MILLIS);
      for (const ignored of [0, -1, Number.NaN]) c.service.setStaleAfter(ignored);
      expect(c.service.staleAfterMillis).toBe(DEFAULT_STALE_AFTER_MILLIS);
      const run = await c.run();
      c.advance(DEFAULT_STALE_AFTER_MILLIS - 1);
      expect(await c.service.finalizeStale()).toEqual({ runsFinalized: 0, stepsFinalized: 0 });
      c.advance(2);
      expect(await c.service.finalizeStale()).toEqual({ runsFinalized: 1, stepsFinalized: 0 });
      expect((await c.storedRun(run.id))?.status).toBe('interrupted');
    });

    it('a row updated exactly at the cutoff is not stale (updated_at < cutoff)', async () => {
      const c = ctx();
      c.service.setStaleAfter(10_000);
      const run = await c.run();
      c.advance(10_000);
      expect(await c.service.finalizeStale()).toEqual({ runsFinalized: 0, stepsFinalized: 0 });
      expect((await c.storedRun(run.id))?.finishedAt).toBeNull();
    });

    it('cascade: a recently touched step of a run finalized by this sweep is finalized too', async () => {
      const c = ctx();
      c.service.setStaleAfter(10_000);
      const run = await c.run();
      const step = await c.step(run);
      c.advance(20_000);
      // Bump the step alone (as a late step write would): its run stays stale.
      await c.service.updateStep({ id: step.id, chatId: run.chatId, metadata: { progress: 1 } });
      const now = c.advance(1_000);
      expect(await c.service.finalizeStale()).toEqual({ runsFinalized: 1, stepsFinalized: 1 });
      expect(await c.storedStep(step)).toMatchObject({ status: 'interrupted', finishedAt: now, updatedAt: now });
    });

    it('a stale step of a live run is finalized alone', async () => {
      const c = ctx();
      c.service.setStaleAfter(10_000);
      const run = await c.run();
      const step = await c.step(run);
      c.advance(20_000);
      await c.service.touchRun({ runId: run.id, chatId: run.chatId });
      const now = c.advance(1_000);
      expect(await c.service.finalizeStale()).toEqual({ runsFinalized: 0, stepsFinalized: 1 });
      expect(await c.storedStep(step)).toMatchObject({ status: 'interrupted', finishedAt: now });
      expect(await c.storedRun(run.id)).toMatchObject({ status: 'in_progress', finishedAt: null });
    });

    it('recently touched rows are left alone', async () => {
      const c = ctx();
      c.service.setStaleAfter(10_000);
      const run = await c.run();
      const step = await c.step(run);
      c.advance(8_000);
      await c.service.touchStep({ stepId: step.id, runId: run.id, chatId: run.chatId });
      c.advance(8_000);
      expect(await c.service.finalizeStale()).toEqual({ runsFinalized: 0, stepsFinalized: 0 });
      expect(await c.storedRun(run.id)).toMatchObject({ status: 'in_progress', finishedAt: null });
      expect(await c.storedStep(step)).toMatchObject({ status: 'in_progress', finishedAt: null });
    });

    it('terminal rows with NULL finished_at, and rows with finished_at set, are untouched', async () => {
      const c = ctx();
      const terminal = await c.run({ status: 'completed' });
      const terminalStep = await c.step(terminal, { status: 'error' });
      const closedAt = c.advance(1);
      const manual = await c.run({ chatId: terminal.chatId });
      const closed = await c.service.updateRun({ id: manual.id, chatId: manual.chatId, finishedAt: closedAt });
      const doneStep = await c.step(terminal);
      const doneStepFinal = await c.service.updateStep({ id: doneStep.id, chatId: terminal.chatId, finishedAt: closedAt });
      const terminalRun = await c.storedRun(terminal.id);
      c.advance(DEFAULT_STALE_AFTER_MILLIS * 2);
      expect(await c.service.finalizeStale()).toEqual({ runsFinalized: 0, stepsFinalized: 0 });
      expect(await c.storedRun(terminal.id)).toEqual(terminalRun);
      expect(await c.storedStep(terminalStep)).toEqual(terminalStep);
      expect(await c.storedRun(manual.id)).toEqual(closed);
      expect(closed).toMatchObject({ status: 'in_progress', finishedAt: closedAt });
      expect(await c.storedStep(doneStep)).toEqual(doneStepFinal);
    });

    it('[#23] publishes exactly one finalize event on the broadcast channel with nil ids', async () => {
      const c = ctx();
      const run = await c.run();
      await c.step(run);
      await c.run();
      c.quiet();
      c.advance(DEFAULT_STALE_AFTER_MILLIS + 1);
      expect(await c.service.finalizeStale()).toEqual({ runsFinalized: 2, stepsFinalized: 1 });
      expect(c.bus.events).toEqual([{ kind: 'finalize', chatId: NIL_UUID, runId: NIL_UUID, stepId: NIL_UUID, channel: BROADCAST_CHANNEL }]);
    });

    it('[#24] with nothing stale: counts 0/0 and nothing is published', async () => {
      const c = ctx();
      await c.run();
      c.quiet();
      c.advance(1_000);
      expect(await c.service.finalizeStale()).toEqual({ runsFinalized: 0, stepsFinalized: 0 });
      expect(c.bus.events).toEqual([]);
    });

    it('a second sweep changes nothing and publishes nothing', async () => {
      const c = ctx();
      const run = await c.run();
      await c.step(run);
      c.advance(DEFAULT_STALE_AFTER_MILLIS + 1);
      await c.service.finalizeStale();
      const runAfter = await c.storedRun(run.id);
      const stepsAfter = await c.storedSteps(run.id);
      c.quiet();
      c.advance(DEFAULT_STALE_AFTER_MILLIS + 1);
      expect(await c.service.finalizeStale()).toEqual({ runsFinalized: 0, stepsFinalized: 0 });
      expect(await c.storedRun(run.id)).toEqual(runAfter);
      expect(await c.storedSteps(run.id)).toEqual(stepsAfter);
      expect(c.bus.events).toEqual([]);
    });

    it('a swept run refuses new steps (run_finalized)', async () => {
      const c = ctx();
      const run = await c.run();
      c.advance(DEFAULT_STALE_AFTER_MILLIS + 1);
      await c.service.finalizeStale();
      await expect(c.step(run)).rejects.toMatchObject({ code: 'run_finalized' });
    });
  });
}
