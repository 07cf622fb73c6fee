import { describe, expect, it } from 'vitest';
import type { ContextAccessor } from '../context.js';

/** §3.8 deleteByChatId and §3.9 deleteAfterMessageId (behaviours 19–20). */
export function registerDeleteCases(ctx: ContextAccessor): void {
  describe('§3.8 deleteByChatId', () => {
    it('[#19] removes the run (count 1), the list becomes empty and its steps go too', async () => {
      const c = ctx();
      const run = await c.run();
      await c.step(run);
      await c.step(run);
      const bound = c.advance(1_000);
      expect(await c.service.deleteByChatId(run.chatId, bound)).toBe(1);
      expect(await c.service.listRuns(run.chatId)).toEqual([]);
      expect(await c.service.getRun(run.id)).toBeUndefined();
      expect(await c.storedSteps(run.id)).toEqual([]);
    });

    it('only runs started strictly before the bound are deleted', async () => {
      const c = ctx();
      const chatId = c.chat();
      const old = await c.run({ chatId });
      const bound = c.advance(1_000);
      const atBound = await c.run({ chatId });
      c.advance(1_000);
      const after = await c.run({ chatId });
      expect(await c.service.deleteByChatId(chatId, bound)).toBe(1);
      expect(await c.storedRun(old.id)).toBeUndefined();
      expect((await c.service.listRuns(chatId)).map((run) => run.id)).toEqual([after.id, atBound.id]);
    });

    it("other chats' runs and steps are untouched", async () => {
      const c = ctx();
      const mine = await c.run();
      const theirs = await c.run();
      const theirStep = await c.step(theirs);
      expect(await c.service.deleteByChatId(mine.chatId, c.advance(1_000))).toBe(1);
      expect(await c.storedRun(theirs.id)).toEqual({ ...theirs, updatedAt: theirStep.updatedAt });
      expect(await c.storedSteps(theirs.id)).toEqual([theirStep]);
    });

    it('publishes delete on the chat channel, even when nothing matched', async () => {
      const c = ctx();
      const run = await c.run();
      c.quiet();
      expect(await c.service.deleteByChatId(run.chatId, run.startedAt)).toBe(0);
      expect(await c.service.deleteByChatId(run.chatId, c.advance(1))).toBe(1);
      const channel = `chat_debug:${run.chatId}`;
      expect(c.bus.events).toEqual([
        { kind: 'delete', chatId: run.chatId, runId: '00000000-0000-0000-0000-000000000000', stepId: '00000000-0000-0000-0000-000000000000', channel },
        { kind: 'delete', chatId: run.chatId, runId: '00000000-0000-0000-0000-000000000000', stepId: '00000000-0000-0000-0000-000000000000', channel },
      ]);
    });
  });

  describe('§3.9 deleteAfterMessageId', () => {
    it('[#20] deletes only the run whose step points past the threshold; the other run and its step survive', async () => {
      const c = ctx();
      const chatId = c.chat();
      const doomed = await c.run({ chatId, triggerMessageId: 4, historyTipMessageId: 5 });
      const doomedStep = await c.step(doomed, { historyTipMessageId: 5 });
      await c.service.updateStep({ id: doomedStep.id, chatId, assistantMessageId: 10 });
      const kept = await c.run({ chatId, triggerMessageId: 2, historyTipMessageId: 3 });
      const keptStep = await c.step(kept, { historyTipMessageId: 3 });
      const keptFinal = await c.service.updateStep({ id: keptStep.id, chatId, assistantMessageId: 4, status: 'completed' });
      const bound = c.advance(1_000);
      expect(await c.service.deleteAfterMessageId(chatId, 6, bound)).toBe(1);
      expect(await c.storedRun(doomed.id)).toBeUndefined();
      expect(await c.storedSteps(doomed.id)).toEqual([]);
      expect((await c.storedRun(kept.id))?.id).toBe(kept.id);
      expect(await c.storedSteps(kept.id)).toEqual([keptFinal]);
    });

    it('a run reaches past the message through its trigger or history tip (strictly greater)', async () => {
      const c = ctx();
      const chatId = c.chat();
      const byTrigger = await c.run({ chatId, triggerMessageId: 11 });
      const byTip = await c.run({ chatId, historyTipMessageId: 11 });
      const equal = await c.run({ chatId, triggerMessageId: 10, historyTipMessageId: 10 });
      expect(await c.service.deleteAfterMessageId(chatId, 10, c.advance(1_000))).toBe(2);
      expect(await c.storedRun(byTrigger.id)).toBeUndefined();
      expect(await c.storedRun(byTip.id)).toBeUndefined();
      expect((await c.storedRun(equal.id))?.id).toBe(equal.id);
    });

    it("a step's history tip past the message deletes its run", async () => {
      const c = ctx();
      const chatId = c.chat();
      const run = await c.run({ chatId, triggerMessageId: 1 });
      await c.step(run, { historyTipMessageId: 8 });
      expect(await c.service.deleteAfterMessageId(chatId, 7, c.advance(1_000))).toBe(1);
      expect(await c.storedRun(run.id)).toBeUndefined();
    });

    it('NULL message ids never match, even below every real id', async () => {
      const c = ctx();
      const chatId = c.chat();
      const run = await c.run({ chatId });
      await c.step(run);
      expect(await c.service.deleteAfterMessageId(chatId, -1, c.advance(1_000))).toBe(0);
      expect((await c.storedRun(run.id))?.id).toBe(run.id);
      expect(await c.storedSteps(run.id)).toHaveLength(1);
    });

    it('respects the started-before bound', async () => {
      const c = ctx();
      const chatId = c.chat();
      const before = await c.run({ chatId, triggerMessageId: 20 });
      const bound = c.advance(1_000);
      const replacement = await c.run({ chatId, triggerMessageId: 20 });
      expect(await c.service.deleteAfterMessageId(chatId, 10, bound)).toBe(1);
      expect(await c.storedRun(before.id)).toBeUndefined();
      expect((await c.storedRun(replacement.id))?.id).toBe(replacement.id);
    });

    it('other chats are untouched; delete is published even when nothing matched', async () => {
      const c = ctx();
      const mine = await c.run({ triggerMessageId: 1 });
      const theirs = await c.run({ triggerMessageId: 50 });
      c.quiet();
      expect(await c.service.deleteAfterMessageId(mine.chatId, 10, c.advance(1_000))).toBe(0);
      expect((await c.storedRun(theirs.id))?.id).toBe(theirs.id);
      expect(c.bus.events).toMatchObject([{ kind: 'delete', chatId: mine.chatId, channel: `chat_debug:${mine.chatId}` }]);
    });
  });
}
