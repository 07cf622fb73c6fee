import { DEFAULT_RETENTION_DAYS } from '@chatdebug/sdk';
import { describe, expect, it } from 'vitest';
import type { ContextAccessor } from '../context.js';

const DAY = 86_400_000;

/** §6.7 retention purge: batches by `updated_at`, any status, 0 disables. */
export function registerRetentionCases(ctx: ContextAccessor): void {
  describe('retention purge', () => {
    it(`deletes runs of any status (steps cascade) not updated for ${DEFAULT_RETENTION_DAYS} days, keeps the rest`, async () => {
      const c = ctx();
      const abandoned = await c.run();
      await c.step(abandoned);
      const finished = await c.run();
      await c.finish(finished);
      c.advance(20 * DAY);
      const recent = await c.run();
      c.advance(11 * DAY);
      const result = await c.service.purgeExpired();
      expect(result).toMatchObject({ deleted: 2, dryRun: false, updatedBefore: new Date(c.clock.nowMillis() - DEFAULT_RETENTION_DAYS * DAY) });
      expect(await c.storedRun(abandoned.id)).toBeUndefined();
      expect(await c.storedSteps(abandoned.id)).toEqual([]);
      expect(await c.storedRun(finished.id)).toBeUndefined();
      expect(await c.storedRun(recent.id)).toEqual(recent);
    });

    it('the age is measured on updated_at: an old run touched recently survives', async () => {
      const c = ctx();
      const old = await c.run();
      c.advance(40 * DAY);
      await c.service.touchRun({ runId: old.id, chatId: old.chatId });
      c.advance(DAY);
      expect((await c.service.purgeExpired()).deleted).toBe(0);
      expect((await c.storedRun(old.id))?.id).toBe(old.id);
    });

    it('works in batches, reporting progress, until a batch comes back short', async () => {
      const c = ctx();
      for (let i = 0; i < 5; i++) await c.run();
      c.advance(31 * DAY);
      c.quiet();
      const progress: Array<[number, number]> = [];
      const result = await c.service.purgeExpired({ batchSize: 2, onProgress: (deleted, total) => progress.push([deleted, total]) });
      expect(result.deleted).toBe(5);
      expect(progress).toEqual([
        [2, 5],
        [4, 5],
        [5, 5],
      ]);
      expect(c.exporter.callCount('purgeRuns')).toBe(3);
      expect(await c.exporter.countRunsUpdatedBefore(c.clock.now())).toBe(0);
    });

    it('a dry run counts without deleting', async () => {
      const c = ctx();
      const run = await c.run();
      c.advance(31 * DAY);
      await c.run();
      expect(await c.service.purgeExpired({ dryRun: true })).toMatchObject({ deleted: 1, dryRun: true });
      expect((await c.storedRun(run.id))?.id).toBe(run.id);
    });

    it('retention 0 disables the purge', async () => {
      const c = ctx();
      const run = await c.run();
      await c.harness.settings.setRetentionDays(0);
      c.advance(400 * DAY);
      c.quiet();
      expect(await c.service.purgeExpired()).toMatchObject({ deleted: 0, skipped: 'disabled' });
      expect(c.exporter.callCount('purgeRuns')).toBe(0);
      expect((await c.storedRun(run.id))?.id).toBe(run.id);
    });

    it('the retention days come from the settings; an explicit age overrides them', async () => {
      const c = ctx();
      await c.harness.settings.setRetentionDays(7);
      expect(await c.harness.settings.getRetentionDays()).toBe(7);
      const eightDays = await c.run();
      c.advance(2 * DAY);
      const sixDays = await c.run();
      c.advance(6 * DAY);
      expect((await c.service.purgeExpired()).deleted).toBe(1);
      expect(await c.storedRun(eightDays.id)).toBeUndefined();
      expect((await c.storedRun(sixDays.id))?.id).toBe(sixDays.id);
      expect((await c.service.purgeExpired({ olderThanMillis: DAY })).deleted).toBe(1);
      expect(await c.storedRun(sixDays.id)).toBeUndefined();
    });

    it('purgeRuns deletes at most `limit` runs, oldest updated first; countRunsUpdatedBefore counts', async () => {
      const c = ctx();
      const chatId = c.chat();
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await c.run({ chatId }));
      // Touch in reverse creation order, so the update order differs from creation and id order.
      for (const run of [...runs].reverse()) {
        c.advance(1_000);
        await c.service.touchRun({ runId: run.id, chatId });
      }
      const cutoff = c.advance(1_000);
      expect(await c.exporter.countRunsUpdatedBefore(cutoff)).toBe(3);
      expect(await c.exporter.purgeRuns({ updatedBefore: cutoff, limit: 2 })).toBe(2);
      expect((await c.service.listRuns(chatId)).map((run) => run.id)).toEqual([runs[0]?.id]);
      expect(await c.exporter.countRunsUpdatedBefore(cutoff)).toBe(1);
      expect(await c.exporter.countRunsUpdatedBefore(new Date(cutoff.getTime() - 1_000))).toBe(0);
    });
  });
}
