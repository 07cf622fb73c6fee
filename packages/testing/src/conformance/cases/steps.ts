import type { Exporter, JsonObject, StepInsertResult, StepRecord, UpdateStepParams } from '@chatdebug/sdk';
import { MAX_CREATE_STEP_ATTEMPTS, newId } from '@chatdebug/sdk';
import { describe, expect, it } from 'vitest';
import { FaultInjectingExporter } from '../../fault-injecting-exporter.js';
import type { ContextAccessor } from '../context.js';

/** An exporter whose guarded insert always answers the same outcome (a storage that misbehaves). */
class FixedInsertOutcome extends FaultInjectingExporter {
  readonly #outcome: StepInsertResult;
  /** How many inserts were attempted. */
  inserts = 0;

  constructor(inner: Exporter, outcome: StepInsertResult) {
    super(inner);
    this.#outcome = outcome;
  }

  override async insertStep(_step: StepRecord): Promise<StepInsertResult> {
    this.inserts++;
    return this.#outcome;
  }
}

const ATTEMPTS: JsonObject[] = [
  {
    number: 1,
    status: 'failed',
    method: 'POST',
    url: 'https://api.example.com/v1/messages?key=[REDACTED]',
    path: '/v1/messages',
    started_at: '2026-01-01T00:00:00.000Z',
    finished_at: '2026-01-01T00:00:00.420Z',
    request_headers: { 'content-type': 'application/json', authorization: '[REDACTED]' },
    request_body: '{"model":"m"}',
    response_status: 529,
    response_body: '{"error":"overloaded"}',
    error: 'overloaded',
    duration_ms: 420,
    retry_classification: 'overloaded',
    retry_delay_ms: 1000,
  },
  {
    number: 2,
    status: 'completed',
    method: 'POST',
    url: 'https://api.example.com/v1/messages',
    path: '/v1/messages',
    started_at: '2026-01-01T00:00:01.420Z',
    finished_at: '2026-01-01T00:00:03.000Z',
    response_status: 200,
    response_headers: { 'x-ratelimit-remaining-tokens': '1000' },
    response_body: 'data: {"type":"message_stop"}\n\n',
    duration_ms: 1580.5,
  },
];

/** §3.5 createStep and §3.6 updateStep (behaviours 10–18). */
export function registerStepCases(ctx: ContextAccessor): void {
  describe('§3.5 createStep', () => {
    it('[#10] stores chat, run, number, operation, status, history tip and request; the listing returns it', async () => {
      const c = ctx();
      const run = await c.run();
      const id = newId();
      const request = { messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], tools: [], options: { temperature: 0.2 } };
      const step = await c.service.createStep({ id, runId: run.id, chatId: run.chatId, stepNumber: 1, operation: 'stream', status: 'in_progress', historyTipMessageId: 17, normalizedRequest: request });
      const expected: StepRecord = {
        id,
        runId: run.id,
        chatId: run.chatId,
        stepNumber: 1,
        operation: 'stream',
        status: 'in_progress',
        historyTipMessageId: 17,
        assistantMessageId: null,
        normalizedRequest: request,
        normalizedResponse: null,
        usage: null,
        attempts: [],
        error: null,
        metadata: {},
        startedAt: c.clock.now(),
        updatedAt: c.clock.now(),
        finishedAt: null,
      };
      expect(step).toEqual(expected);
      expect(await c.service.listSteps(run.id)).toEqual([expected]);
      expect((await c.service.getRun(run.id))?.steps).toEqual([expected]);
    });

    it('insert defaults: request {}, attempts [], metadata {}, response/usage/error/assistant NULL, started = updated = clock', async () => {
      const c = ctx();
      const run = await c.run();
      const now = c.advance(2_000);
      const step = await c.service.createStep({ runId: run.id, chatId: run.chatId, stepNumber: 1, operation: 'generate' });
      expect(await c.storedStep(step)).toEqual({
        id: step.id,
        runId: run.id,
        chatId: run.chatId,
        stepNumber: 1,
        operation: 'generate',
        status: 'in_progress',
        historyTipMessageId: null,
        assistantMessageId: null,
        normalizedRequest: {},
        normalizedResponse: null,
        usage: null,
        attempts: [],
        error: null,
        metadata: {},
        startedAt: now,
        updatedAt: now,
        finishedAt: null,
      });
    });

    it('[#11] two steps requesting number 1: the second gets 2, and the step counter is synced', async () => {
      const c = ctx();
      const run = await c.run();
      const first = await c.step(run, { stepNumber: 1 });
      const second = await c.step(run, { stepNumber: 1 });
      expect([first.stepNumber, second.stepNumber]).toEqual([1, 2]);
      expect((await c.service.listSteps(run.id)).map((step) => step.stepNumber)).toEqual([1, 2]);
      expect(c.service.stepCounter.peek(run.id)).toBeGreaterThanOrEqual(2);
    });

    it('a collision retries with max(requested + 1, highest stored + 1)', async () => {
      const c = ctx();
      const run = await c.run();
      for (const stepNumber of [1, 2, 5]) await c.step(run, { stepNumber });
      c.quiet();
      const bumped = await c.step(run, { stepNumber: 2 });
      expect(bumped.stepNumber).toBe(6);
      const tried = c.exporter.calls.flatMap((call) => (call.method === 'insertStep' ? [call.args[0].stepNumber] : []));
      expect(tried).toEqual([2, 6]);
    });

    it('[#12] a taken number followed by a failing step listing returns the listing error', async () => {
      const c = ctx();
      const run = await c.run();
      await c.step(run, { stepNumber: 1 });
      const listError = new Error('list steps failed');
      c.exporter.failMatching((call) => call.method === 'listSteps', listError, 1);
      await expect(c.step(run, { stepNumber: 1 })).rejects.toBe(listError);
      expect(await c.storedSteps(run.id)).toHaveLength(1);
    });

    it(`numbers still taken after ${MAX_CREATE_STEP_ATTEMPTS} attempts → step_number_exhausted`, async () => {
      const c = ctx();
      const run = await c.run();
      const exporter = new FixedInsertOutcome(c.harness.exporter, { outcome: 'step_number_taken' });
      const service = c.newService({ exporter });
      await expect(service.createStep({ runId: run.id, chatId: run.chatId, stepNumber: 1, operation: 'generate' })).rejects.toMatchObject({
        code: 'step_number_exhausted',
        message: expect.stringContaining(`after ${MAX_CREATE_STEP_ATTEMPTS} retries`),
      });
      expect(exporter.inserts).toBe(MAX_CREATE_STEP_ATTEMPTS);
    });

    it('[#13] a finalized run → RunFinalizedError (run_finalized, "already finalized"); nothing inserted, run untouched, no event', async () => {
      const c = ctx();
      const run = await c.run();
      const finished = await c.finish(run);
      c.quiet();
      c.advance(1_000);
      const attempt = c.step(run, { stepNumber: 1 });
      await expect(attempt).rejects.toMatchObject({ code: 'run_finalized', name: 'RunFinalizedError' });
      await expect(attempt).rejects.toThrow(/already finalized/);
      expect(await c.storedSteps(run.id)).toEqual([]);
      expect(await c.storedRun(run.id)).toEqual(finished);
      expect(c.bus.events).toEqual([]);
    });

    it('[#14] an unknown run → RunNotFoundError (run_not_found), never "already finalized"', async () => {
      const c = ctx();
      const attempt = c.service.createStep({ runId: newId(), chatId: c.chat(), stepNumber: 1, operation: 'generate' });
      await expect(attempt).rejects.toMatchObject({ code: 'run_not_found', name: 'RunNotFoundError' });
      await expect(attempt).rejects.toThrow(/not found/);
    });

    it("[#15] another chat's run → run_not_found, even when that run is finalized", async () => {
      const c = ctx();
      const open = await c.run();
      const closed = await c.run();
      await c.finish(closed);
      for (const run of [open, closed]) {
        const attempt = c.service.createStep({ runId: run.id, chatId: c.chat(), stepNumber: 1, operation: 'generate' });
        await expect(attempt).rejects.toMatchObject({ code: 'run_not_found' });
        expect(await c.storedSteps(run.id)).toEqual([]);
      }
    });

    it('no rows although the run is open → StepInsertUnexpectedError (step_insert_no_rows), never masked', async () => {
      const c = ctx();
      const run = await c.run();
      const service = c.newService({ exporter: new FixedInsertOutcome(c.harness.exporter, { outcome: 'run_unavailable' }) });
      await expect(service.createStep({ runId: run.id, chatId: run.chatId, stepNumber: 1, operation: 'generate' })).rejects.toMatchObject({
        code: 'step_insert_no_rows',
        message: expect.stringContaining('still active'),
      });
    });

    it("the insert bumps the run's updated_at to the step's time", async () => {
      const c = ctx();
      const run = await c.run();
      const now = c.advance(30_000);
      const step = await c.step(run);
      expect(step.startedAt).toEqual(now);
      expect((await c.storedRun(run.id))?.updatedAt).toEqual(now);
    });

    it("the insert never moves the run's updated_at backwards", async () => {
      const c = ctx();
      const run = await c.run();
      const later = c.advance(30_000);
      await c.service.touchRun({ runId: run.id, chatId: run.chatId });
      const step = await c.step(run, { at: new Date(later.getTime() - 10_000) });
      expect(step.startedAt).toEqual(new Date(later.getTime() - 10_000));
      expect((await c.storedRun(run.id))?.updatedAt).toEqual(later);
    });

    it('a run with a terminal status but no finished_at still accepts steps (the guard is finished_at)', async () => {
      const c = ctx();
      const run = await c.run({ status: 'completed' });
      const step = await c.step(run);
      expect(await c.storedSteps(run.id)).toEqual([step]);
    });

    it('an aborted signal → AbortedError (aborted) before any insert', async () => {
      const c = ctx();
      const run = await c.run();
      c.quiet();
      const controller = new AbortController();
      controller.abort(new Error('caller gave up'));
      const attempt = c.service.createStep({ runId: run.id, chatId: run.chatId, stepNumber: 1, operation: 'generate' }, { signal: controller.signal });
      await expect(attempt).rejects.toMatchObject({ code: 'aborted' });
      expect(c.exporter.callCount('insertStep')).toBe(0);
      expect(await c.storedSteps(run.id)).toEqual([]);
    });

    it('a duplicate step id is rejected and the stored step is unchanged', async () => {
      const c = ctx();
      const run = await c.run();
      const step = await c.step(run, { stepNumber: 1 });
      await expect(c.step(run, { id: step.id, stepNumber: 2, operation: 'stream' })).rejects.toThrow();
      expect(await c.storedSteps(run.id)).toEqual([step]);
    });

    it('8 concurrent writers requesting number 1 all succeed with numbers 1…8', async () => {
      const c = ctx();
      const run = await c.run();
      const steps = await Promise.all(Array.from({ length: 8 }, () => c.step(run, { stepNumber: 1 })));
      expect(steps.map((step) => step.stepNumber).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect((await c.storedSteps(run.id)).map((step) => step.stepNumber)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    });

    it('32 concurrent writers numbered by the step counter get 1…32 with no collision', async () => {
      const c = ctx();
      const run = await c.run();
      c.quiet();
      const steps = await Promise.all(Array.from({ length: 32 }, () => c.step(run)));
      expect(steps.map((step) => step.stepNumber).sort((a, b) => a - b)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
      expect(c.exporter.callCount('insertStep')).toBe(32);
      expect(c.exporter.callCount('listSteps')).toBe(0);
    });
  });

  describe('§3.6 updateStep', () => {
    it('[#16] stores assistant id, response, usage, attempts (exact JSON incl. duration_ms), metadata and finished_at', async () => {
      const c = ctx();
      const run = await c.run();
      const step = await c.step(run);
      const finishedAt = c.advance(3_000);
      const now = c.advance(10);
      const fields = {
        assistantMessageId: 42,
        normalizedResponse: { content: [{ type: 'text', text: 'Hello!' }], finish_reason: 'stop', usage: { input_tokens: 12, output_tokens: 3 }, warnings: [] },
        usage: { input_tokens: 12, output_tokens: 3, total_tokens: 15, cache_read_tokens: 4 },
        attempts: ATTEMPTS,
        metadata: { stream_summary: { finish_reason: 'stop', text_delta_count: 3, part_count: 5 } },
      };
      const updated = await c.service.updateStep({ id: step.id, chatId: run.chatId, status: 'completed', finishedAt, ...fields });
      const expected: StepRecord = { ...step, ...fields, status: 'completed', finishedAt, updatedAt: now };
      expect(updated).toEqual(expected);
      expect(await c.storedStep(step)).toEqual(expected);
      expect((await c.storedStep(step))?.attempts).toStrictEqual(ATTEMPTS);
    });

    it('[#17] a terminal status without finishedAt auto-fills it with the clock time', async () => {
      const c = ctx();
      const run = await c.run();
      for (const status of ['completed', 'error', 'interrupted'] as const) {
        const step = await c.step(run);
        const now = c.advance(500);
        expect((await c.service.updateStep({ id: step.id, chatId: run.chatId, status })).finishedAt).toEqual(now);
        expect((await c.storedStep(step))?.finishedAt).toEqual(now);
      }
    });

    it('[#18] null or absent attempts keep the previous attempts', async () => {
      const c = ctx();
      const run = await c.run();
      const step = await c.step(run);
      await c.service.updateStep({ id: step.id, chatId: run.chatId, attempts: ATTEMPTS });
      await c.service.updateStep({ id: step.id, chatId: run.chatId, attempts: null, status: 'completed' });
      await c.service.updateStep({ id: step.id, chatId: run.chatId, usage: { input_tokens: 1 } });
      expect((await c.storedStep(step))?.attempts).toEqual(ATTEMPTS);
    });

    it('a later explicit finishedAt replaces an earlier one (unlike runs)', async () => {
      const c = ctx();
      const run = await c.run();
      const step = await c.step(run);
      c.advance(1_000);
      await c.service.updateStep({ id: step.id, chatId: run.chatId, status: 'interrupted' });
      const later = c.advance(1_000);
      const updated = await c.service.updateStep({ id: step.id, chatId: run.chatId, status: 'completed', finishedAt: later });
      expect(updated.finishedAt).toEqual(later);
      expect((await c.storedStep(step))?.finishedAt).toEqual(later);
    });

    it('operation, history tip and request never change', async () => {
      const c = ctx();
      const run = await c.run();
      const step = await c.step(run, { operation: 'stream', historyTipMessageId: 5, normalizedRequest: { messages: [] } });
      const sneaky: UpdateStepParams & Record<string, unknown> = {
        id: step.id,
        chatId: run.chatId,
        status: 'completed',
        operation: 'generate',
        historyTipMessageId: 99,
        normalizedRequest: { messages: [{ role: 'user' }] },
        stepNumber: 7,
        runId: newId(),
      };
      await c.service.updateStep(sneaky);
      expect(await c.storedStep(step)).toMatchObject({ operation: 'stream', historyTipMessageId: 5, normalizedRequest: { messages: [] }, stepNumber: 1, runId: run.id });
    });

    it('status is not guarded in storage: a later update may set any status', async () => {
      const c = ctx();
      const run = await c.run();
      const step = await c.step(run);
      await c.service.updateStep({ id: step.id, chatId: run.chatId, status: 'completed' });
      const regressed = await c.service.updateStep({ id: step.id, chatId: run.chatId, status: 'interrupted' });
      expect(regressed.status).toBe('interrupted');
    });

    it('updated_at is stamped from the clock and never moves backwards; the run is not touched', async () => {
      const c = ctx();
      const run = await c.run();
      const step = await c.step(run);
      const later = c.advance(10_000);
      expect((await c.service.updateStep({ id: step.id, chatId: run.chatId, metadata: { a: 1 } })).updatedAt).toEqual(later);
      const stale = await c.service.updateStep({ id: step.id, chatId: run.chatId, metadata: { a: 2 }, at: new Date(later.getTime() - 5_000) });
      expect(stale).toMatchObject({ metadata: { a: 2 }, updatedAt: later });
      expect((await c.storedRun(run.id))?.updatedAt).toEqual(run.updatedAt);
    });

    it("another chat's id → NotFoundError (not_found); the step is unchanged and nothing is published", async () => {
      const c = ctx();
      const run = await c.run();
      const step = await c.step(run);
      c.quiet();
      await expect(c.service.updateStep({ id: step.id, chatId: c.chat(), status: 'completed' })).rejects.toMatchObject({ code: 'not_found' });
      expect(await c.storedStep(step)).toEqual(step);
      expect(c.bus.events).toEqual([]);
    });

    it('an unknown step id → NotFoundError (not_found)', async () => {
      const c = ctx();
      await expect(c.service.updateStep({ id: newId(), chatId: c.chat(), status: 'completed' })).rejects.toMatchObject({ code: 'not_found' });
    });
  });
}
