import type { JsonObject, JsonValue, RunRecord, StepRecord } from '@chatdebug/sdk';
import {
  ChatDebugError,
  DebugService,
  JSON_NULL,
  NotFoundError,
  RunFinalizedError,
  RunNotFoundError,
  TERMINAL_STATUSES,
  newId,
} from '@chatdebug/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestDatabase } from './support.js';
import { BACKENDS, ManualClock, capturingLogger, openTestDatabase } from './support.js';

const MINUTE = 60_000;

for (const backend of BACKENDS) {
  describe.skipIf(!backend.enabled)(`PostgresExporter SQL semantics on ${backend.kind}`, () => {
    let t: TestDatabase;
    let clock: ManualClock;
    let service: DebugService;

    beforeAll(async () => {
      t = await openTestDatabase(backend.kind);
    });
    afterAll(async () => {
      await t?.close();
    });
    beforeEach(async () => {
      await t.truncate();
      clock = new ManualClock();
      service = new DebugService({ exporter: t.exporter, settings: t.settings, clock, logger: capturingLogger().logger, staleAfterMillis: 5 * MINUTE });
    });

    const createRun = (overrides: Partial<Parameters<DebugService['createRun']>[0]> = {}) =>
      service.createRun({ chatId: newId(), kind: 'chat_turn', ...overrides });
    const createStep = (run: RunRecord, stepNumber = 1, overrides: Partial<Parameters<DebugService['createStep']>[0]> = {}) =>
      service.createStep({ runId: run.id, chatId: run.chatId, stepNumber, operation: 'stream', ...overrides });
    const storedStep = async (step: StepRecord) => (await t.exporter.listSteps(step.runId)).find((s) => s.id === step.id);

    describe('runs', () => {
      it('stores every field and reads it back, message ids as numbers', async () => {
        const run = await createRun({
          rootChatId: newId(),
          parentChatId: newId(),
          modelConfigId: newId(),
          triggerMessageId: 9_007_199_254_740_991,
          historyTipMessageId: 42,
          provider: 'openai',
          model: 'gpt-4o',
          summary: { first_message: 'hello ✓', nested: { list: [1, null, 'x'] } },
        });
        const stored = await t.exporter.getRun(run.id);
        expect(stored).toEqual(run);
        expect(stored?.triggerMessageId).toBe(9_007_199_254_740_991);
        expect(stored?.startedAt).toEqual(clock.now());
        expect(stored?.finishedAt).toBeNull();
      });

      it('an absent summary is stored as {}', async () => {
        const run = await createRun();
        expect((await t.exporter.getRun(run.id))?.summary).toEqual({});
      });

      it('update keeps every field left undefined (COALESCE keep-existing)', async () => {
        const run = await createRun({ provider: 'anthropic', model: 'claude', summary: { first_message: 'hi' }, triggerMessageId: 7 });
        const now = clock.advance(1_000);
        const updated = await t.exporter.updateRun({ id: run.id, chatId: run.chatId, status: 'error', now });
        expect(updated).toEqual({ ...run, status: 'error', updatedAt: now });
      });

      it('update replaces every field it is given', async () => {
        const run = await createRun();
        const now = clock.advance(1_000);
        const patch = {
          provider: 'p',
          model: 'm',
          rootChatId: newId(),
          parentChatId: newId(),
          modelConfigId: newId(),
          triggerMessageId: 11,
          historyTipMessageId: 12,
          summary: { a: 1 },
        };
        const updated = await t.exporter.updateRun({ id: run.id, chatId: run.chatId, ...patch, now });
        expect(updated).toEqual({ ...run, ...patch, updatedAt: now });
      });

      it('the summary is never null: clearing it (JSON_NULL) stores {}', async () => {
        const run = await createRun({ summary: { a: 1 } });
        expect((await service.updateRun({ id: run.id, chatId: run.chatId, summary: JSON_NULL })).summary).toEqual({});
        await service.updateRun({ id: run.id, chatId: run.chatId, summary: { b: 2 } });
        // Even an exporter caller bypassing the service cannot store JSON null there.
        const direct = await t.exporter.updateRun({ id: run.id, chatId: run.chatId, summary: JSON_NULL as unknown as JsonObject, now: clock.now() });
        expect(direct?.summary).toEqual({});
        await expect(t.db.query(`UPDATE ${t.table('chat_debug_runs')} SET summary = '[]'::jsonb WHERE id = $1`, [run.id])).rejects.toMatchObject({ code: '23514' });
      });

      it('finished_at is write-once: neither a later value nor an auto-fill changes it', async () => {
        const run = await createRun();
        const firstEnd = clock.advance(1_000);
        const finished = await service.updateRun({ id: run.id, chatId: run.chatId, status: 'completed' });
        expect(finished.finishedAt).toEqual(firstEnd);
        clock.advance(1_000);
        await service.updateRun({ id: run.id, chatId: run.chatId, status: 'error' });
        const explicit = await service.updateRun({ id: run.id, chatId: run.chatId, finishedAt: new Date(firstEnd.getTime() + 99_000) });
        expect(explicit.finishedAt).toEqual(firstEnd);
        expect(explicit.status).toBe('error');
      });

      it('updated_at never moves backwards', async () => {
        const run = await createRun();
        const later = clock.advance(10_000);
        await service.updateRun({ id: run.id, chatId: run.chatId, status: 'in_progress' });
        const stored = await service.updateRun({ id: run.id, chatId: run.chatId, model: 'x', at: new Date(later.getTime() - 5_000) });
        expect(stored.updatedAt).toEqual(later);
        expect(stored.model).toBe('x');
      });

      it('an update under another chat changes nothing and returns undefined', async () => {
        const run = await createRun();
        expect(await t.exporter.updateRun({ id: run.id, chatId: newId(), status: 'error', now: clock.now() })).toBeUndefined();
        await expect(service.updateRun({ id: run.id, chatId: newId(), status: 'error' })).rejects.toBeInstanceOf(NotFoundError);
        expect((await t.exporter.getRun(run.id))?.status).toBe('in_progress');
      });

      it('a duplicate run id is an error that keeps the driver error as cause', async () => {
        const run = await createRun();
        const error = await t.exporter.insertRun(run).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(ChatDebugError.is(error, 'exporter_failed')).toBe(true);
        expect((error as ChatDebugError).cause).toMatchObject({ code: '23505' });
      });

      it('CHECK constraints reject an unknown status or an invalid kind', async () => {
        const run = await createRun();
        const bad: RunRecord = { ...run, id: newId(), status: 'bogus' as RunRecord['status'] };
        await expect(t.exporter.insertRun(bad)).rejects.toMatchObject({ code: 'exporter_failed', cause: { code: '23514' } });
        await expect(t.exporter.insertRun({ ...run, id: newId(), kind: 'Bad-Kind' })).rejects.toMatchObject({ cause: { code: '23514' } });
        await expect(t.exporter.insertRun({ ...run, id: newId(), kind: 'custom_kind_2' })).resolves.toMatchObject({ kind: 'custom_kind_2' });
      });
    });

    describe('guarded step insert', () => {
      it('inserts into an open run and bumps the run to the step time in the same statement', async () => {
        const run = await createRun();
        const at = clock.advance(30_000);
        const step = await createStep(run, 1, { historyTipMessageId: 5, normalizedRequest: { messages: [{ role: 'user' }] } });
        expect(step).toMatchObject({
          runId: run.id,
          chatId: run.chatId,
          stepNumber: 1,
          operation: 'stream',
          status: 'in_progress',
          historyTipMessageId: 5,
          assistantMessageId: null,
          normalizedRequest: { messages: [{ role: 'user' }] },
          normalizedResponse: null,
          usage: null,
          attempts: [],
          error: null,
          metadata: {},
          startedAt: at,
          updatedAt: at,
          finishedAt: null,
        });
        expect((await t.exporter.getRun(run.id))?.updatedAt).toEqual(at);
      });

      it('the run bump never moves updated_at backwards', async () => {
        const run = await createRun();
        const later = clock.advance(60_000);
        await service.touchRun({ runId: run.id, chatId: run.chatId });
        await createStep(run, 1, { at: new Date(later.getTime() - 30_000) });
        expect((await t.exporter.getRun(run.id))?.updatedAt).toEqual(later);
      });

      it('a missing run, another chat\'s run or a finalized run yields run_unavailable and inserts nothing', async () => {
        const run = await createRun();
        const step: StepRecord = {
          id: newId(),
          runId: newId(),
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
          startedAt: clock.now(),
          updatedAt: clock.now(),
          finishedAt: null,
        };
        expect(await t.exporter.insertStep(step)).toEqual({ outcome: 'run_unavailable' });
        expect(await t.exporter.insertStep({ ...step, runId: run.id, chatId: newId() })).toEqual({ outcome: 'run_unavailable' });
        await service.updateRun({ id: run.id, chatId: run.chatId, status: 'completed' });
        const before = await t.exporter.getRun(run.id);
        expect(await t.exporter.insertStep({ ...step, runId: run.id, updatedAt: clock.advance(5_000) })).toEqual({ outcome: 'run_unavailable' });
        expect(await t.exporter.listSteps(run.id)).toEqual([]);
        expect(await t.exporter.getRun(run.id)).toEqual(before);
      });

      it('the service classifies run_unavailable: not found, other chat, finalized', async () => {
        const run = await createRun();
        await expect(createStep({ ...run, id: newId() })).rejects.toBeInstanceOf(RunNotFoundError);
        await expect(createStep({ ...run, chatId: newId() })).rejects.toBeInstanceOf(RunNotFoundError);
        await service.updateRun({ id: run.id, chatId: run.chatId, status: 'interrupted' });
        await expect(createStep(run)).rejects.toBeInstanceOf(RunFinalizedError);
      });

      it('a taken step number yields step_number_taken (detected by SQLSTATE and constraint name)', async () => {
        const run = await createRun();
        const first = await createStep(run, 1);
        const result = await t.exporter.insertStep({ ...first, id: newId() });
        expect(result).toEqual({ outcome: 'step_number_taken' });
      });

      it('the service retries a taken number with the next free one', async () => {
        const run = await createRun();
        await createStep(run, 1);
        await createStep(run, 2);
        const third = await createStep(run, 1);
        expect(third.stepNumber).toBe(3);
        expect((await t.exporter.listSteps(run.id)).map((s) => s.stepNumber)).toEqual([1, 2, 3]);
      });

      it('a duplicate step id is an error, not a taken number', async () => {
        const run = await createRun();
        const first = await createStep(run, 1);
        await expect(t.exporter.insertStep({ ...first, stepNumber: 2 })).rejects.toMatchObject({ code: 'exporter_failed', cause: { code: '23505' } });
      });
    });

    describe('step updates', () => {
      it('stores response, usage, attempts, error, metadata, assistant id and finished_at', async () => {
        const run = await createRun();
        const step = await createStep(run);
        const now = clock.advance(2_000);
        const attempts = [{ number: 1, status: 'completed', method: 'POST', path: '/v1/chat', duration_ms: 12.5 }];
        const updated = await service.updateStep({
          id: step.id,
          chatId: run.chatId,
          status: 'completed',
          assistantMessageId: 8_000_000_000,
          normalizedResponse: { content: [{ type: 'text', text: 'hé ✓' }] },
          usage: { input_tokens: 3, output_tokens: 4 },
          attempts,
          error: { message: 'transient' },
          metadata: { stream_summary: { part_count: 2 } },
        });
        expect(updated).toEqual({
          ...step,
          status: 'completed',
          assistantMessageId: 8_000_000_000,
          normalizedResponse: { content: [{ type: 'text', text: 'hé ✓' }] },
          usage: { input_tokens: 3, output_tokens: 4 },
          attempts,
          error: { message: 'transient' },
          metadata: { stream_summary: { part_count: 2 } },
          updatedAt: now,
          finishedAt: now,
        });
        expect(await storedStep(step)).toEqual(updated);
      });

      it('undefined and plain null keep; JSON_NULL clears only its column', async () => {
        const run = await createRun();
        const step = await createStep(run);
        const full = await service.updateStep({
          id: step.id,
          chatId: run.chatId,
          normalizedResponse: { r: 1 },
          usage: { input_tokens: 1 },
          attempts: [{ n: 1 }],
          error: { message: 'boom' },
          metadata: { m: true },
          assistantMessageId: 3,
        });
        const kept = await service.updateStep({
          id: step.id,
          chatId: run.chatId,
          normalizedResponse: null,
          usage: undefined,
          attempts: null,
          error: null,
          metadata: null,
          assistantMessageId: null,
        });
        expect(kept).toEqual(full);
        const cleared = await service.updateStep({ id: step.id, chatId: run.chatId, status: 'completed', error: JSON_NULL });
        expect(cleared.error).toBeNull();
        expect(cleared).toMatchObject({ normalizedResponse: { r: 1 }, usage: { input_tokens: 1 }, attempts: [{ n: 1 }], metadata: { m: true } });
        const both = await service.updateStep({ id: step.id, chatId: run.chatId, normalizedResponse: JSON_NULL, usage: JSON_NULL });
        expect(both).toMatchObject({ normalizedResponse: null, usage: null, attempts: [{ n: 1 }] });
        // The error column holds JSON null (not SQL NULL): the clear is visible in the database.
        const raw = await t.db.query(`SELECT error IS NULL AS sql_null, jsonb_typeof(error) AS type FROM ${t.table('chat_debug_steps')} WHERE id = $1`, [step.id]);
        expect(raw.rows).toEqual([{ sql_null: false, type: 'null' }]);
      });

      it('attempts and metadata are never null: clearing them stores [] and {}', async () => {
        const run = await createRun();
        const step = await createStep(run);
        await service.updateStep({ id: step.id, chatId: run.chatId, attempts: [{ n: 1 }], metadata: { m: 1 } });
        const viaService = await service.updateStep({ id: step.id, chatId: run.chatId, attempts: JSON_NULL, metadata: JSON_NULL });
        expect(viaService).toMatchObject({ attempts: [], metadata: {} });
        await service.updateStep({ id: step.id, chatId: run.chatId, attempts: [{ n: 2 }], metadata: { m: 2 } });
        const direct = await t.exporter.updateStep({
          id: step.id,
          chatId: run.chatId,
          attempts: JSON_NULL as unknown as JsonValue[],
          metadata: JSON_NULL as unknown as JsonObject,
          now: clock.now(),
        });
        expect(direct).toMatchObject({ attempts: [], metadata: {} });
      });

      it('an empty array overwrites attempts', async () => {
        const run = await createRun();
        const step = await createStep(run);
        await service.updateStep({ id: step.id, chatId: run.chatId, attempts: [{ n: 1 }] });
        expect((await service.updateStep({ id: step.id, chatId: run.chatId, attempts: [] })).attempts).toEqual([]);
      });

      it('a later explicit finished_at replaces an earlier one (unlike runs)', async () => {
        const run = await createRun();
        const step = await createStep(run);
        const first = clock.advance(1_000);
        await service.updateStep({ id: step.id, chatId: run.chatId, status: 'completed' });
        const later = new Date(first.getTime() + 5_000);
        const updated = await service.updateStep({ id: step.id, chatId: run.chatId, finishedAt: later });
        expect(updated.finishedAt).toEqual(later);
        const kept = await service.updateStep({ id: step.id, chatId: run.chatId, status: 'completed', finishedAt: null, at: first });
        expect(kept.finishedAt).toEqual(first);
      });

      it('operation, history tip and request never change; updated_at never moves backwards', async () => {
        const run = await createRun();
        const step = await createStep(run, 1, { historyTipMessageId: 9, normalizedRequest: { q: 1 } });
        const later = clock.advance(10_000);
        await service.updateStep({ id: step.id, chatId: run.chatId, metadata: { a: 1 } });
        const stored = await service.updateStep({ id: step.id, chatId: run.chatId, metadata: { a: 2 }, at: new Date(later.getTime() - 1) });
        expect(stored).toMatchObject({ operation: 'stream', historyTipMessageId: 9, normalizedRequest: { q: 1 }, metadata: { a: 2 }, updatedAt: later });
      });

      it('an update under another chat changes nothing', async () => {
        const run = await createRun();
        const step = await createStep(run);
        expect(await t.exporter.updateStep({ id: step.id, chatId: newId(), status: 'error', now: clock.now() })).toBeUndefined();
        expect((await storedStep(step))?.status).toBe('in_progress');
      });
    });

    describe('heartbeats', () => {
      it('touchStepAndRun bumps the run and the step together', async () => {
        const run = await createRun();
        const step = await createStep(run);
        const now = clock.advance(MINUTE);
        await service.touchStep({ stepId: step.id, runId: run.id, chatId: run.chatId });
        expect((await t.exporter.getRun(run.id))?.updatedAt).toEqual(now);
        expect((await storedStep(step))?.updatedAt).toEqual(now);
      });

      it('a mismatched run, step or chat refreshes nothing and is not an error', async () => {
        const chatId = newId();
        const runA = await createRun({ chatId });
        const runB = await createRun({ chatId });
        const stepA = await createStep(runA);
        const before = [await t.exporter.getRun(runA.id), await t.exporter.getRun(runB.id), await storedStep(stepA)];
        clock.advance(MINUTE);
        await service.touchStep({ stepId: stepA.id, runId: runB.id, chatId });
        await service.touchStep({ stepId: stepA.id, runId: runA.id, chatId: newId() });
        await service.touchStep({ stepId: newId(), runId: runA.id, chatId });
        expect([await t.exporter.getRun(runA.id), await t.exporter.getRun(runB.id), await storedStep(stepA)]).toEqual(before);
      });

      it('touches never move updated_at backwards and do not check finished_at', async () => {
        const run = await createRun();
        const step = await createStep(run);
        await service.updateRun({ id: run.id, chatId: run.chatId, status: 'completed' });
        const later = clock.advance(MINUTE);
        await service.touchStep({ stepId: step.id, runId: run.id, chatId: run.chatId });
        await service.touchStep({ stepId: step.id, runId: run.id, chatId: run.chatId, at: new Date(later.getTime() - 30_000) });
        await service.touchRun({ runId: run.id, chatId: run.chatId, at: new Date(later.getTime() - 30_000) });
        expect((await t.exporter.getRun(run.id))?.updatedAt).toEqual(later);
        expect((await storedStep(step))?.updatedAt).toEqual(later);
      });

      it('touchRun bumps the run alone; another chat refreshes nothing', async () => {
        const run = await createRun();
        const step = await createStep(run);
        const now = clock.advance(MINUTE);
        await service.touchRun({ runId: run.id, chatId: run.chatId });
        await service.touchRun({ runId: run.id, chatId: newId(), at: clock.advance(MINUTE) });
        expect((await t.exporter.getRun(run.id))?.updatedAt).toEqual(now);
        expect((await storedStep(step))?.updatedAt).toEqual(step.updatedAt);
      });
    });

    describe('stale sweep', () => {
      it('finalizes stale runs and steps as interrupted, at the service clock', async () => {
        const run = await createRun();
        const step = await createStep(run);
        const now = clock.advance(6 * MINUTE);
        expect(await service.finalizeStale()).toEqual({ runsFinalized: 1, stepsFinalized: 1 });
        expect(await t.exporter.getRun(run.id)).toMatchObject({ status: 'interrupted', finishedAt: now, updatedAt: now });
        expect(await storedStep(step)).toMatchObject({ status: 'interrupted', finishedAt: now, updatedAt: now });
        expect(await service.finalizeStale()).toEqual({ runsFinalized: 0, stepsFinalized: 0 });
      });

      it('cascades to a recently touched step of a run it finalizes', async () => {
        const run = await createRun();
        const step = await createStep(run);
        clock.advance(6 * MINUTE);
        // Bump the step alone (as a lost run heartbeat would leave it): the run stays stale.
        await t.exporter.updateStep({ id: step.id, chatId: run.chatId, now: clock.now() });
        await t.exporter.updateRun({ id: run.id, chatId: run.chatId, now: new Date(clock.nowMillis() - 6 * MINUTE) });
        expect(await service.finalizeStale()).toEqual({ runsFinalized: 1, stepsFinalized: 1 });
        expect((await storedStep(step))?.status).toBe('interrupted');
      });

      it('finalizes a stale step of a live run without touching the run', async () => {
        const run = await createRun();
        const step = await createStep(run);
        clock.advance(6 * MINUTE);
        await service.touchRun({ runId: run.id, chatId: run.chatId });
        expect(await service.finalizeStale()).toEqual({ runsFinalized: 0, stepsFinalized: 1 });
        expect((await t.exporter.getRun(run.id))?.status).toBe('in_progress');
        expect((await storedStep(step))?.status).toBe('interrupted');
      });

      it('leaves terminal rows alone, even with finished_at NULL, and rows touched within the threshold', async () => {
        const terminal: RunRecord[] = [];
        for (const status of TERMINAL_STATUSES) {
          const run = await createRun();
          await t.exporter.updateRun({ id: run.id, chatId: run.chatId, status, now: clock.now() });
          const step = await createStep(run);
          await t.exporter.updateStep({ id: step.id, chatId: run.chatId, status, now: clock.now() });
          terminal.push(run);
        }
        const finished = await createRun();
        await service.updateRun({ id: finished.id, chatId: finished.chatId, status: 'in_progress', finishedAt: clock.now() });
        const fresh = await createRun({ at: new Date(clock.nowMillis() + 2 * MINUTE) });
        clock.advance(6 * MINUTE);
        expect(await service.finalizeStale()).toEqual({ runsFinalized: 0, stepsFinalized: 0 });
        for (const [i, run] of terminal.entries()) expect((await t.exporter.getRun(run.id))?.status).toBe(TERMINAL_STATUSES[i]);
        expect((await t.exporter.getRun(fresh.id))?.status).toBe('in_progress');
      });
    });

    describe('deletes', () => {
      it('deleteByChatId deletes the chat\'s runs started before the bound, steps by cascade', async () => {
        const chatId = newId();
        const old = await createRun({ chatId });
        await createStep(old);
        const bound = clock.advance(1_000);
        const newer = await createRun({ chatId });
        const other = await createRun();
        expect(await service.deleteByChatId(chatId, bound)).toBe(1);
        expect(await t.exporter.getRun(old.id)).toBeUndefined();
        expect(await t.exporter.listSteps(old.id)).toEqual([]);
        expect(await t.exporter.getRun(newer.id)).toBeDefined();
        expect(await t.exporter.getRun(other.id)).toBeDefined();
      });

      it('deleteAfterMessageId unions run-level and step-level matches, bounded by started_at', async () => {
        const chatId = newId();
        const byTip = await createRun({ chatId, historyTipMessageId: 11 });
        const byTrigger = await createRun({ chatId, triggerMessageId: 12 });
        const byStep = await createRun({ chatId, historyTipMessageId: 3 });
        const stepOfByStep = await createStep(byStep);
        await service.updateStep({ id: stepOfByStep.id, chatId, assistantMessageId: 20 });
        const byStepTip = await createRun({ chatId });
        await createStep(byStepTip, 1, { historyTipMessageId: 15 });
        const below = await createRun({ chatId, historyTipMessageId: 10, triggerMessageId: 9 });
        await createStep(below, 1, { historyTipMessageId: 10 });
        const nulls = await createRun({ chatId });
        await createStep(nulls);
        const otherChat = await createRun({ historyTipMessageId: 99 });
        const bound = clock.advance(1_000);
        const tooNew = await createRun({ chatId, historyTipMessageId: 50 });
        expect(await service.deleteAfterMessageId(chatId, 10, bound)).toBe(4);
        for (const gone of [byTip, byTrigger, byStep, byStepTip]) expect(await t.exporter.getRun(gone.id)).toBeUndefined();
        for (const kept of [below, nulls, otherChat, tooNew]) expect(await t.exporter.getRun(kept.id)).toBeDefined();
        expect(await t.exporter.listSteps(byStep.id)).toEqual([]);
        expect(await t.exporter.listSteps(below.id)).toHaveLength(1);
      });
    });

    describe('retention', () => {
      it('purges oldest first in batches of the limit, any status, steps by cascade', async () => {
        const runs: RunRecord[] = [];
        for (let i = 0; i < 5; i++) {
          const run = await createRun({ at: clock.advance(1_000) });
          await createStep(run);
          runs.push(run);
        }
        const cutoff = new Date((runs[3] as RunRecord).updatedAt.getTime() + 1);
        expect(await t.exporter.countRunsUpdatedBefore(cutoff)).toBe(4);
        expect(await t.exporter.purgeRuns({ updatedBefore: cutoff, limit: 3 })).toBe(3);
        expect(await t.exporter.getRun((runs[0] as RunRecord).id)).toBeUndefined();
        expect(await t.exporter.getRun((runs[3] as RunRecord).id)).toBeDefined();
        expect(await t.exporter.purgeRuns({ updatedBefore: cutoff, limit: 3 })).toBe(1);
        expect(await t.exporter.purgeRuns({ updatedBefore: cutoff, limit: 3 })).toBe(0);
        expect(await t.exporter.countRunsUpdatedBefore(cutoff)).toBe(0);
        expect(await t.exporter.getRun((runs[4] as RunRecord).id)).toBeDefined();
      });

      it('the service purges with the retention days from the settings store', async () => {
        await t.settings.setRetentionDays(1);
        const old = await createRun();
        clock.advance(2 * 86_400_000);
        const fresh = await createRun();
        expect(await service.purgeExpired({ batchSize: 1 })).toMatchObject({ deleted: 1, dryRun: false });
        expect(await t.exporter.getRun(old.id)).toBeUndefined();
        expect(await t.exporter.getRun(fresh.id)).toBeDefined();
        await t.settings.setRetentionDays(0);
        expect(await service.purgeExpired()).toMatchObject({ deleted: 0, skipped: 'disabled' });
      });
    });

    describe('reads', () => {
      it('listRuns: started_at desc, then id desc, at most limit', async () => {
        const chatId = newId();
        const a = await createRun({ chatId });
        const b = await createRun({ chatId });
        clock.advance(1_000);
        const c = await createRun({ chatId });
        await createRun();
        const tied = [a, b].sort((x, y) => (x.id < y.id ? 1 : -1));
        expect((await service.listRuns(chatId)).map((r) => r.id)).toEqual([c.id, ...tied.map((r) => r.id)]);
        expect((await service.listRuns(chatId, { limit: 2 })).map((r) => r.id)).toEqual([c.id, (tied[0] as RunRecord).id]);
      });

      it('listSteps: step number asc, then started_at asc', async () => {
        const run = await createRun();
        await createStep(run, 3);
        clock.advance(1_000);
        await createStep(run, 1);
        await createStep(run, 2);
        expect((await service.listSteps(run.id)).map((s) => s.stepNumber)).toEqual([1, 2, 3]);
      });

      it('getRun finds a run by id alone; an unknown id is undefined', async () => {
        const run = await createRun();
        expect(await t.exporter.getRun(run.id)).toEqual(run);
        expect(await t.exporter.getRun(newId())).toBeUndefined();
        expect(await service.getRun(run.id, { chatId: newId() })).toBeUndefined();
        expect(await service.getRun(run.id)).toEqual({ run, steps: [] });
      });
    });
  });
}
