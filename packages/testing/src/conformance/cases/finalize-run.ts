import type { JsonValue, RunRecord } from '@chatdebug/sdk';
import { JSON_NULL } from '@chatdebug/sdk';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext, ContextAccessor } from '../context.js';

interface StepSpec {
  status: 'completed' | 'error' | 'interrupted' | 'in_progress';
  usage?: JsonValue;
  error?: JsonValue;
  attempts?: JsonValue[];
}

/** Creates one step per spec in `run`, then writes its outcome. */
async function addSteps(c: ConformanceContext, run: RunRecord, specs: readonly StepSpec[]): Promise<void> {
  for (const spec of specs) {
    const step = await c.step(run);
    await c.service.updateStep({ id: step.id, chatId: run.chatId, status: spec.status, usage: spec.usage, error: spec.error, attempts: spec.attempts });
  }
}

function attempt(status: 'completed' | 'failed', method: string, path: string): JsonValue {
  return { number: 1, status, method, path, url: `https://api.example.com${path}`, started_at: '2026-01-01T00:00:00Z', finished_at: '2026-01-01T00:00:01Z', duration_ms: 1000 };
}

/** §3.11 finalizeRun with the §4 summary aggregation over the stored steps. */
export function registerFinalizeRunCases(ctx: ContextAccessor): void {
  describe('§3.11 finalizeRun and §4 summary aggregation', () => {
    it('sums token usage over the stored steps; reasoning and cache totals only when above zero', async () => {
      const c = ctx();
      const run = await c.run();
      await addSteps(c, run, [
        { status: 'completed', usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15, reasoning_tokens: 3, cache_read_tokens: 2 } },
        { status: 'completed', usage: { input_tokens: 7, output_tokens: 1 } },
        { status: 'completed' },
      ]);
      const finalized = await c.service.finalizeRun({ runId: run.id, chatId: run.chatId, status: 'completed' });
      expect(finalized.summary).toEqual({ step_count: 3, total_input_tokens: 17, total_output_tokens: 6, total_reasoning_tokens: 3, total_cache_read_tokens: 2 });
      expect((await c.storedRun(run.id))?.summary).toEqual(finalized.summary);
    });

    it('zero steps: step_count and the two main totals are 0, optional keys absent, the seed kept', async () => {
      const c = ctx();
      const run = await c.run();
      const finalized = await c.service.finalizeRun({ runId: run.id, chatId: run.chatId, status: 'interrupted', seedSummary: { first_message: 'hello' } });
      expect(finalized.summary).toEqual({ first_message: 'hello', step_count: 0, total_input_tokens: 0, total_output_tokens: 0 });
    });

    it('has_error from an error-status step, or from an error payload on a step that is not interrupted', async () => {
      const c = ctx();
      const byStatus = await c.run();
      await addSteps(c, byStatus, [{ status: 'completed' }, { status: 'error' }]);
      const byPayload = await c.run();
      await addSteps(c, byPayload, [{ status: 'completed', error: { message: 'tool failed', type: 'ToolError' } }]);
      for (const run of [byStatus, byPayload]) {
        const finalized = await c.service.finalizeRun({ runId: run.id, chatId: run.chatId, status: 'completed' });
        expect(finalized.summary.has_error).toBe(true);
      }
    });

    it('[#32] an interrupted step with an error payload, or a cleared error, does not set has_error', async () => {
      const c = ctx();
      const run = await c.run();
      await addSteps(c, run, [{ status: 'interrupted', error: { message: 'context canceled' } }]);
      const retried = await c.step(run);
      await c.service.updateStep({ id: retried.id, chatId: run.chatId, status: 'error', error: { message: 'overloaded' } });
      await c.service.updateStep({ id: retried.id, chatId: run.chatId, status: 'completed', error: JSON_NULL });
      const finalized = await c.service.finalizeRun({ runId: run.id, chatId: run.chatId, status: 'completed' });
      expect(finalized.summary).not.toHaveProperty('has_error');
      expect(finalized.summary.step_count).toBe(2);
    });

    it('endpoint_label comes from the first completed attempt in step order; path alone when the method is empty', async () => {
      const c = ctx();
      const run = await c.run();
      await addSteps(c, run, [
        { status: 'error', attempts: [attempt('failed', 'POST', '/v1/failed')] },
        { status: 'completed', attempts: [attempt('failed', 'POST', '/v1/retry'), attempt('completed', 'POST', '/v1/messages')] },
        { status: 'completed', attempts: [attempt('completed', 'GET', '/v1/later')] },
      ]);
      expect((await c.service.finalizeRun({ runId: run.id, chatId: run.chatId, status: 'completed' })).summary.endpoint_label).toBe('POST /v1/messages');
      const pathOnly = await c.run();
      await addSteps(c, pathOnly, [{ status: 'completed', attempts: [attempt('completed', '', '/v1/chat/completions')] }]);
      expect((await c.service.finalizeRun({ runId: pathOnly.id, chatId: pathOnly.chatId, status: 'completed' })).summary.endpoint_label).toBe('/v1/chat/completions');
      const none = await c.run();
      await addSteps(c, none, [{ status: 'error', attempts: [attempt('failed', 'POST', '/v1/x')] }]);
      expect((await c.service.finalizeRun({ runId: none.id, chatId: none.chatId, status: 'error' })).summary).not.toHaveProperty('endpoint_label');
    });

    it('seed keys are kept and stale derived keys are recomputed or removed', async () => {
      const c = ctx();
      const run = await c.run({ summary: { first_message: 'old label', step_count: 50 } });
      await addSteps(c, run, [{ status: 'completed', usage: { input_tokens: 1, output_tokens: 2 } }]);
      const seed = {
        first_message: 'hello',
        mcp_connect: [{ slug: 'github', outcome: 'connected' }],
        step_count: 99,
        total_input_tokens: 1000,
        total_reasoning_tokens: 5,
        total_cache_creation_tokens: 5,
        endpoint_label: 'GET /stale',
        has_error: true,
      };
      const finalized = await c.service.finalizeRun({ runId: run.id, chatId: run.chatId, status: 'completed', seedSummary: seed });
      expect(finalized.summary).toEqual({
        first_message: 'hello',
        mcp_connect: [{ slug: 'github', outcome: 'connected' }],
        step_count: 1,
        total_input_tokens: 1,
        total_output_tokens: 2,
      });
      expect(seed.step_count).toBe(99);
    });

    it('sets the status and finished_at from the clock and drops the step counter', async () => {
      const c = ctx();
      const run = await c.run();
      await c.step(run);
      c.service.stepCounter.next(run.id);
      const now = c.advance(5_000);
      const finalized = await c.service.finalizeRun({ runId: run.id, chatId: run.chatId, status: 'error' });
      expect(finalized).toMatchObject({ status: 'error', finishedAt: now, updatedAt: now });
      expect(await c.storedRun(run.id)).toEqual(finalized);
      expect(c.service.stepCounter.peek(run.id)).toBe(0);
    });

    it('on an already finished run the status changes but finished_at keeps its first value', async () => {
      const c = ctx();
      const run = await c.run();
      const first = c.advance(1_000);
      await c.finish(run, 'interrupted');
      c.advance(1_000);
      const finalized = await c.service.finalizeRun({ runId: run.id, chatId: run.chatId, status: 'completed' });
      expect(finalized).toMatchObject({ status: 'completed', finishedAt: first });
    });

    it("another chat's id → not_found, and the step counter is dropped anyway", async () => {
      const c = ctx();
      const run = await c.run();
      c.service.stepCounter.next(run.id);
      await expect(c.service.finalizeRun({ runId: run.id, chatId: c.chat(), status: 'completed' })).rejects.toMatchObject({ code: 'not_found' });
      expect(c.service.stepCounter.peek(run.id)).toBe(0);
      expect((await c.storedRun(run.id))?.finishedAt).toBeNull();
    });

    it('a finalized run refuses new steps', async () => {
      const c = ctx();
      const run = await c.run();
      await c.step(run);
      await c.service.finalizeRun({ runId: run.id, chatId: run.chatId, status: 'completed' });
      await expect(c.step(run)).rejects.toMatchObject({ code: 'run_finalized' });
    });

    it('a failing aggregation falls back to the seed summary (logged)', async () => {
      const c = ctx();
      const run = await c.run();
      await addSteps(c, run, [{ status: 'completed', usage: { input_tokens: 1 } }]);
      c.exporter.failMatching((call) => call.method === 'listSteps', undefined, 1);
      const finalized = await c.service.finalizeRun({ runId: run.id, chatId: run.chatId, status: 'completed', seedSummary: { first_message: 'seed' } });
      expect(finalized.summary).toEqual({ first_message: 'seed' });
      expect(c.logger.warnings().length).toBeGreaterThan(0);
    });

    it('has its own deadline: a slow exporter → TimeoutError (timeout) on the mock clock', async () => {
      const c = ctx();
      const run = await c.run();
      c.exporter.delay(10_000, c.clock);
      const pending = c.service.finalizeRun({ runId: run.id, chatId: run.chatId, status: 'completed', timeoutMillis: 1_000 });
      const outcome = pending.then(
        () => 'resolved',
        (error: unknown) => error,
      );
      await c.clock.advanceAsync(1_000);
      expect(await outcome).toMatchObject({ code: 'timeout', name: 'TimeoutError' });
      c.exporter.delay(0);
      await c.clock.advanceAsync(10_000);
      await c.exporter.idle();
      // The work itself was not cancelled: it completes once the slow call returns.
      expect((await c.storedRun(run.id))?.status).toBe('completed');
    });
  });
}
