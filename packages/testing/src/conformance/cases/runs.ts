import type { RunRecord } from '@chatdebug/sdk';
import { NIL_UUID, RUN_KINDS, newId } from '@chatdebug/sdk';
import { describe, expect, it } from 'vitest';
import type { ContextAccessor } from '../context.js';

/** §3.3 createRun and §3.4 updateRun (behaviours 5–9). */
export function registerRunCases(ctx: ContextAccessor): void {
  describe('§3.3 createRun', () => {
    it('[#5] stores every field and reads it back equal', async () => {
      const c = ctx();
      const chatId = c.chat();
      const params = {
        id: newId(),
        chatId,
        rootChatId: newId(),
        parentChatId: newId(),
        modelConfigId: newId(),
        triggerMessageId: 41,
        historyTipMessageId: 9_007_199_254_740_991,
        kind: 'title_generation',
        status: 'in_progress',
        provider: 'anthropic',
        model: 'claude-sonnet-4',
        summary: { first_message: 'Write a haiku', mcp_connect: [{ slug: 'github', outcome: 'connected', duration_ms: 12 }] },
      } as const;
      const expected: RunRecord = {
        ...params,
        summary: { first_message: 'Write a haiku', mcp_connect: [{ slug: 'github', outcome: 'connected', duration_ms: 12 }] },
        startedAt: c.clock.now(),
        updatedAt: c.clock.now(),
        finishedAt: null,
      };
      const created = await c.service.createRun(params);
      expect(created).toEqual(expected);
      expect(await c.storedRun(params.id)).toEqual(expected);
      expect(await c.service.listRuns(chatId)).toEqual([expected]);
      expect((await c.service.getRun(params.id, { chatId }))?.run).toEqual(expected);
    });

    it('[#6] an absent or null summary is stored as {}', async () => {
      const c = ctx();
      const absent = await c.run();
      const nulled = await c.run({ summary: null });
      expect(absent.summary).toEqual({});
      expect(nulled.summary).toEqual({});
      expect((await c.storedRun(absent.id))?.summary).toEqual({});
      expect((await c.storedRun(nulled.id))?.summary).toEqual({});
    });

    it('defaults: in_progress, started = updated = clock time, unfinished, optional columns null', async () => {
      const c = ctx();
      c.advance(12_345);
      const run = await c.run();
      expect(run).toMatchObject({
        status: 'in_progress',
        rootChatId: null,
        parentChatId: null,
        modelConfigId: null,
        triggerMessageId: null,
        historyTipMessageId: null,
        provider: null,
        model: null,
        startedAt: c.clock.now(),
        updatedAt: c.clock.now(),
        finishedAt: null,
      });
      expect(await c.storedRun(run.id)).toEqual(run);
    });

    it('zero values mean "none": nil UUIDs, message id 0 and empty strings are stored as NULL', async () => {
      const c = ctx();
      const run = await c.run({ rootChatId: NIL_UUID, parentChatId: '', modelConfigId: null, triggerMessageId: 0, historyTipMessageId: 0, provider: '', model: '' });
      expect(await c.storedRun(run.id)).toMatchObject({
        rootChatId: null,
        parentChatId: null,
        modelConfigId: null,
        triggerMessageId: null,
        historyTipMessageId: null,
        provider: null,
        model: null,
      });
    });

    it('a caller-supplied id is kept; without one a UUIDv7 is generated', async () => {
      const c = ctx();
      const id = newId();
      expect((await c.run({ id })).id).toBe(id);
      const generated = await c.run();
      expect(generated.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect((await c.storedRun(generated.id))?.id).toBe(generated.id);
    });

    it('every built-in kind and a user-defined kind round-trip', async () => {
      const c = ctx();
      const chatId = c.chat();
      const kinds = [...Object.values(RUN_KINDS), 'my_agent_v2', 'a'];
      for (const kind of kinds) {
        const run = await c.run({ chatId, kind });
        expect((await c.storedRun(run.id))?.kind).toBe(kind);
      }
      expect((await c.service.listRuns(chatId)).map((run) => run.kind).sort()).toEqual([...kinds].sort());
    });

    it('a run created with a terminal status stays unfinished (finished_at NULL)', async () => {
      const c = ctx();
      const run = await c.run({ status: 'completed' });
      expect(run.finishedAt).toBeNull();
      expect(await c.storedRun(run.id)).toMatchObject({ status: 'completed', finishedAt: null });
    });

    it('`at` stamps started and updated instead of the clock', async () => {
      const c = ctx();
      const at = new Date(c.clock.nowMillis() - 60_000);
      const run = await c.run({ at });
      expect(await c.storedRun(run.id)).toMatchObject({ startedAt: at, updatedAt: at });
    });

    it('a duplicate run id is rejected, the stored run is unchanged and nothing is published', async () => {
      const c = ctx();
      const first = await c.run({ provider: 'openai' });
      c.quiet();
      await expect(c.run({ id: first.id, chatId: first.chatId, provider: 'anthropic' })).rejects.toThrow();
      expect(await c.storedRun(first.id)).toEqual(first);
      expect(c.bus.events).toEqual([]);
    });
  });

  describe('§3.4 updateRun', () => {
    it('[#7] sets status, summary and finished_at; the stored row matches', async () => {
      const c = ctx();
      const run = await c.run({ provider: 'openai', model: 'gpt-5' });
      const finishedAt = c.advance(5_000);
      c.advance(1_000);
      const updated = await c.service.updateRun({ id: run.id, chatId: run.chatId, status: 'completed', summary: { first_message: 'hi', step_count: 2 }, finishedAt });
      const expected: RunRecord = { ...run, status: 'completed', summary: { first_message: 'hi', step_count: 2 }, finishedAt, updatedAt: c.clock.now() };
      expect(updated).toEqual(expected);
      expect(await c.storedRun(run.id)).toEqual(expected);
    });

    it('[#8] a terminal status without finishedAt auto-fills it with the clock time', async () => {
      const c = ctx();
      for (const status of ['completed', 'error', 'interrupted'] as const) {
        const run = await c.run();
        const now = c.advance(1_000);
        const updated = await c.service.updateRun({ id: run.id, chatId: run.chatId, status });
        expect(updated.finishedAt).toEqual(now);
        expect((await c.storedRun(run.id))?.finishedAt).toEqual(now);
      }
    });

    it('[#9] finished_at is write-once: a second terminal update and an explicit later value keep the first', async () => {
      const c = ctx();
      const run = await c.run();
      const first = c.advance(1_000);
      await c.finish(run, 'completed');
      c.advance(1_000);
      await c.service.updateRun({ id: run.id, chatId: run.chatId, status: 'error' });
      const explicit = c.advance(1_000);
      const last = await c.service.updateRun({ id: run.id, chatId: run.chatId, status: 'completed', finishedAt: explicit });
      expect(last.finishedAt).toEqual(first);
      expect((await c.storedRun(run.id))?.finishedAt).toEqual(first);
    });

    it('absent fields keep their stored values', async () => {
      const c = ctx();
      const run = await c.run({
        rootChatId: newId(),
        parentChatId: newId(),
        modelConfigId: newId(),
        triggerMessageId: 3,
        historyTipMessageId: 4,
        provider: 'openai',
        model: 'gpt-5',
        summary: { first_message: 'keep me' },
      });
      const now = c.advance(1_000);
      const updated = await c.service.updateRun({ id: run.id, chatId: run.chatId, status: 'in_progress' });
      expect(updated).toEqual({ ...run, updatedAt: now });
      const renamed = await c.service.updateRun({ id: run.id, chatId: run.chatId, model: 'gpt-5-mini' });
      expect(renamed).toEqual({ ...run, model: 'gpt-5-mini', updatedAt: now });
    });

    it('a non-terminal status leaves finished_at NULL; status itself is not write-once', async () => {
      const c = ctx();
      const run = await c.run();
      const open = await c.service.updateRun({ id: run.id, chatId: run.chatId, status: 'in_progress' });
      expect(open.finishedAt).toBeNull();
      const finishedAt = c.advance(1_000);
      await c.finish(run, 'completed');
      c.advance(1_000);
      const changed = await c.service.updateRun({ id: run.id, chatId: run.chatId, status: 'error' });
      expect(changed).toMatchObject({ status: 'error', finishedAt });
    });

    it('updated_at is stamped from the clock and never moves backwards', async () => {
      const c = ctx();
      const run = await c.run();
      const later = c.advance(10_000);
      expect((await c.service.updateRun({ id: run.id, chatId: run.chatId, model: 'm1' })).updatedAt).toEqual(later);
      const earlier = new Date(later.getTime() - 5_000);
      const stale = await c.service.updateRun({ id: run.id, chatId: run.chatId, model: 'm2', at: earlier });
      expect(stale).toMatchObject({ model: 'm2', updatedAt: later });
      expect((await c.storedRun(run.id))?.updatedAt).toEqual(later);
    });

    it("another chat's id → NotFoundError (not_found); the row is unchanged and nothing is published", async () => {
      const c = ctx();
      const run = await c.run();
      c.quiet();
      c.advance(1_000);
      await expect(c.service.updateRun({ id: run.id, chatId: c.chat(), status: 'completed' })).rejects.toMatchObject({ code: 'not_found', name: 'NotFoundError' });
      expect(await c.storedRun(run.id)).toEqual(run);
      expect(c.bus.events).toEqual([]);
    });

    it('an unknown run id → NotFoundError (not_found)', async () => {
      const c = ctx();
      await expect(c.service.updateRun({ id: newId(), chatId: c.chat(), status: 'completed' })).rejects.toMatchObject({ code: 'not_found' });
    });
  });
}
