import type { JsonObject } from '@chatdebug/sdk';
import { JSON_NULL } from '@chatdebug/sdk';
import { describe, expect, it } from 'vitest';
import type { ContextAccessor } from '../context.js';

const ATTEMPT = {
  number: 1,
  status: 'completed',
  method: 'POST',
  url: 'https://api.example.com/v1/messages',
  path: '/v1/messages',
  started_at: '2026-01-01T00:00:00.000Z',
  finished_at: '2026-01-01T00:00:01.250Z',
  response_status: 200,
  duration_ms: 1250,
};

/** §3.1: how JSON payload parameters become stored values. */
export function registerJsonColumnCases(ctx: ContextAccessor): void {
  describe('§3.1 JSON columns: keep, replace, clear', () => {
    it('a request that serializes to nothing (toJSON → null, a function) is stored as {}, never null', async () => {
      const c = ctx();
      const run = await c.run();
      for (const [n, request] of [
        [1, { toJSON: () => null }],
        [2, () => 'not data'],
      ] as const) {
        const step = await c.service.createStep({ runId: run.id, chatId: run.chatId, stepNumber: n, operation: 'generate', normalizedRequest: request });
        expect(step.normalizedRequest).toEqual({});
        expect((await c.storedStep(step))?.normalizedRequest).toEqual({});
      }
    });

    it('undefined fields keep every stored JSON column and the assistant message id', async () => {
      const c = ctx();
      const run = await c.run();
      const step = await c.step(run);
      const full = await c.service.updateStep({
        id: step.id,
        chatId: run.chatId,
        assistantMessageId: 7,
        normalizedResponse: { content: [{ type: 'text', text: 'hi' }] },
        usage: { input_tokens: 3, output_tokens: 4 },
        attempts: [ATTEMPT],
        error: { message: 'boom', type: 'ProviderError' },
        metadata: { stream_summary: { part_count: 2 } },
      });
      c.advance(1000);
      const kept = await c.service.updateStep({ id: step.id, chatId: run.chatId, status: 'error' });
      expect(kept).toEqual({ ...full, status: 'error', updatedAt: c.clock.now(), finishedAt: c.clock.now() });
      expect(await c.storedStep(step)).toEqual(kept);
    });

    it('plain null keeps the stored value; only the JSON_NULL sentinel clears', async () => {
      const c = ctx();
      const run = await c.run();
      const step = await c.step(run);
      const full = await c.service.updateStep({
        id: step.id,
        chatId: run.chatId,
        assistantMessageId: 9,
        normalizedResponse: { text: 'a' },
        usage: { input_tokens: 1 },
        attempts: [ATTEMPT],
        error: { message: 'x' },
        metadata: { k: 'v' },
      });
      const kept = await c.service.updateStep({
        id: step.id,
        chatId: run.chatId,
        assistantMessageId: null,
        normalizedResponse: null,
        usage: null,
        attempts: null,
        error: null,
        metadata: null,
      });
      expect(kept).toEqual(full);
    });

    it('JSON_NULL clears the error to JSON null and leaves the other columns alone', async () => {
      const c = ctx();
      const run = await c.run();
      const step = await c.step(run);
      await c.service.updateStep({ id: step.id, chatId: run.chatId, status: 'error', error: { message: 'rate limited' }, usage: { input_tokens: 5 } });
      const cleared = await c.service.updateStep({ id: step.id, chatId: run.chatId, status: 'completed', error: JSON_NULL });
      expect(cleared.error).toBeNull();
      expect(cleared.usage).toEqual({ input_tokens: 5 });
      expect(cleared.status).toBe('completed');
      expect((await c.storedStep(step))?.error).toBeNull();
    });

    it('JSON_NULL writes JSON null into the response and usage columns', async () => {
      const c = ctx();
      const run = await c.run();
      const step = await c.step(run);
      await c.service.updateStep({ id: step.id, chatId: run.chatId, normalizedResponse: { text: 'a' }, usage: { input_tokens: 1 } });
      const cleared = await c.service.updateStep({ id: step.id, chatId: run.chatId, normalizedResponse: JSON_NULL, usage: JSON_NULL });
      expect(cleared.normalizedResponse).toBeNull();
      expect(cleared.usage).toBeNull();
      const stored = await c.storedStep(step);
      expect(stored?.normalizedResponse).toBeNull();
      expect(stored?.usage).toBeNull();
    });

    it('a new value replaces the whole stored value (objects are not merged)', async () => {
      const c = ctx();
      const run = await c.run();
      const step = await c.step(run);
      await c.service.updateStep({ id: step.id, chatId: run.chatId, metadata: { a: 1, b: 2 }, usage: { input_tokens: 1, output_tokens: 2 } });
      const replaced = await c.service.updateStep({ id: step.id, chatId: run.chatId, metadata: { c: 3 }, usage: { output_tokens: 9 } });
      expect(replaced.metadata).toEqual({ c: 3 });
      expect(replaced.usage).toEqual({ output_tokens: 9 });
    });

    it('an empty attempts array overwrites the stored attempts', async () => {
      const c = ctx();
      const run = await c.run();
      const step = await c.step(run);
      await c.service.updateStep({ id: step.id, chatId: run.chatId, attempts: [ATTEMPT] });
      const emptied = await c.service.updateStep({ id: step.id, chatId: run.chatId, attempts: [] });
      expect(emptied.attempts).toEqual([]);
      expect((await c.storedStep(step))?.attempts).toEqual([]);
    });

    it('JSON round-trips exactly: nesting, arrays, Unicode, numbers, booleans and nulls', async () => {
      const c = ctx();
      const payload: JsonObject = {
        text: 'héllo 👋 "quoted" \\ back\nslash / tab\t',
        number: 3.25,
        negative: -7,
        zero: 0,
        large: 9_007_199_254_740_991,
        yes: true,
        no: false,
        list: [1, null, 'x', { deep: [[], {}] }],
        empty: {},
        emptyList: [],
        nested: { a: { b: { c: ['d'] } } },
      };
      const run = await c.run({ summary: payload });
      const step = await c.step(run, { normalizedRequest: payload });
      await c.service.updateStep({ id: step.id, chatId: run.chatId, normalizedResponse: payload, usage: payload, error: payload, metadata: payload, attempts: [payload] });
      const stored = await c.storedStep(step);
      expect((await c.storedRun(run.id))?.summary).toEqual(payload);
      expect(stored?.normalizedRequest).toEqual(payload);
      expect(stored?.normalizedResponse).toEqual(payload);
      expect(stored?.usage).toEqual(payload);
      expect(stored?.error).toEqual(payload);
      expect(stored?.metadata).toEqual(payload);
      expect(stored?.attempts).toEqual([payload]);
    });

    it('run summary: undefined keeps the stored object, a new object replaces it', async () => {
      const c = ctx();
      const run = await c.run({ summary: { first_message: 'hello', extra: 1 } });
      const kept = await c.service.updateRun({ id: run.id, chatId: run.chatId, status: 'in_progress' });
      expect(kept.summary).toEqual({ first_message: 'hello', extra: 1 });
      const replaced = await c.service.updateRun({ id: run.id, chatId: run.chatId, summary: { step_count: 0 } });
      expect(replaced.summary).toEqual({ step_count: 0 });
      expect((await c.storedRun(run.id))?.summary).toEqual({ step_count: 0 });
    });
  });
}
