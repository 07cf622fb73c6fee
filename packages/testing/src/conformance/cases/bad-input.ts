import type { CreateRunParams, CreateStepParams, DebugService, Operation, RunKind, Status } from '@chatdebug/sdk';
import { NIL_UUID, newId } from '@chatdebug/sdk';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext, ContextAccessor } from '../context.js';

type Attempt = (service: DebugService) => Promise<unknown>;

const BAD_UUIDS: readonly unknown[] = ['', 'not-a-uuid', '1234', '00000000-0000-0000-0000-00000000000g', `${newId()}x`, 42, {}];

/** Values typed as T at compile time to reach the run-time checks, as untyped JavaScript callers can. */
function unchecked<T>(value: unknown): T {
  return value as T;
}

/**
 * Asserts each attempt rejects with `InvalidArgumentError` (code `invalid_argument`, naming the
 * field when given), and that nothing reached the exporter or the event bus.
 */
async function expectRejected(c: ConformanceContext, attempts: ReadonlyArray<readonly [field: string, attempt: Attempt]>): Promise<void> {
  c.quiet();
  for (const [field, attempt] of attempts) {
    let thrown: unknown;
    try {
      await attempt(c.service);
    } catch (error) {
      thrown = error;
    }
    expect(thrown, `expected ${field} to be rejected`).toMatchObject({ code: 'invalid_argument', name: 'InvalidArgumentError', field });
  }
  expect(c.exporter.calls).toEqual([]);
  expect(c.bus.events).toEqual([]);
}

/** Bad input: typed errors at the boundary, before any write. */
export function registerBadInputCases(ctx: ContextAccessor): void {
  describe('bad input: InvalidArgumentError before any write', () => {
    const runParams = (c: ConformanceContext, overrides: Record<string, unknown>): CreateRunParams => ({ chatId: c.chat(), kind: 'chat_turn', ...overrides });
    const stepParams = (overrides: Record<string, unknown>): CreateStepParams => ({ runId: newId(), chatId: newId(), stepNumber: 1, operation: 'generate', ...overrides });

    it('unknown statuses are rejected by every operation that takes one', async () => {
      const c = ctx();
      const run = await c.run();
      const step = await c.step(run);
      const statuses = ['done', 'COMPLETED', 'success', 'cancelled', ' completed', 1];
      const attempts = statuses.flatMap((value): Array<readonly [string, Attempt]> => {
        const status = unchecked<Status>(value);
        return [
          ['status', (s) => s.createRun(runParams(c, { status }))],
          ['status', (s) => s.updateRun({ id: run.id, chatId: run.chatId, status })],
          ['status', (s) => s.createStep(stepParams({ runId: run.id, chatId: run.chatId, status }))],
          ['status', (s) => s.updateStep({ id: step.id, chatId: run.chatId, status })],
          ['status', (s) => s.finalizeRun({ runId: run.id, chatId: run.chatId, status })],
        ];
      });
      await expectRejected(c, attempts);
    });

    it('unknown operations are rejected', async () => {
      const c = ctx();
      const attempts = ['chat', 'STREAM', 'Generate', '', undefined, null].map(
        (value): readonly [string, Attempt] => ['operation', (s) => s.createStep(stepParams({ operation: unchecked<Operation>(value) }))],
      );
      await expectRejected(c, attempts);
    });

    it('bad run kinds are rejected (lowercase identifier of at most 64 characters)', async () => {
      const c = ctx();
      const kinds = ['', 'Chat Turn', 'chat-turn', 'ChatTurn', '1abc', '_x', `a${'b'.repeat(64)}`, 'kind\u0000', undefined];
      const attempts = kinds.map((value): readonly [string, Attempt] => ['kind', (s) => s.createRun(runParams(c, { kind: unchecked<RunKind>(value) }))]);
      await expectRejected(c, attempts);
    });

    it('step numbers must be integers from 1 to 2^31 − 1', async () => {
      const c = ctx();
      const numbers = [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '1', undefined];
      const attempts = numbers.map((value): readonly [string, Attempt] => ['stepNumber', (s) => s.createStep(stepParams({ stepNumber: value }))]);
      await expectRejected(c, attempts);
    });

    it('invalid UUIDs are rejected in every id of createRun', async () => {
      const c = ctx();
      const fields = ['id', 'chatId', 'rootChatId', 'parentChatId', 'modelConfigId'];
      const attempts = fields.flatMap((field) => BAD_UUIDS.filter((value) => !(field !== 'id' && field !== 'chatId' && value === '')).map((value): readonly [string, Attempt] => [field, (s) => s.createRun(runParams(c, { [field]: value }))]));
      attempts.push(['chatId', (s) => s.createRun(runParams(c, { chatId: NIL_UUID }))], ['id', (s) => s.createRun(runParams(c, { id: NIL_UUID }))]);
      await expectRejected(c, attempts);
    });

    it('invalid UUIDs are rejected in every id of updateRun and finalizeRun', async () => {
      const c = ctx();
      const attempts = BAD_UUIDS.flatMap((value): Array<readonly [string, Attempt]> => [
        ['id', (s) => s.updateRun({ id: unchecked<string>(value), chatId: newId(), status: 'completed' })],
        ['chatId', (s) => s.updateRun({ id: newId(), chatId: unchecked<string>(value), status: 'completed' })],
        ['runId', (s) => s.finalizeRun({ runId: unchecked<string>(value), chatId: newId(), status: 'completed' })],
        ['chatId', (s) => s.finalizeRun({ runId: newId(), chatId: unchecked<string>(value), status: 'completed' })],
      ]);
      attempts.push(['modelConfigId', (s) => s.updateRun({ id: newId(), chatId: newId(), modelConfigId: 'nope' })]);
      await expectRejected(c, attempts);
    });

    it('invalid UUIDs are rejected in every id of createStep and updateStep', async () => {
      const c = ctx();
      const attempts = BAD_UUIDS.flatMap((value): Array<readonly [string, Attempt]> => [
        ['id', (s) => s.createStep(stepParams({ id: value }))],
        ['runId', (s) => s.createStep(stepParams({ runId: value }))],
        ['chatId', (s) => s.createStep(stepParams({ chatId: value }))],
        ['id', (s) => s.updateStep({ id: unchecked<string>(value), chatId: newId(), status: 'completed' })],
        ['chatId', (s) => s.updateStep({ id: newId(), chatId: unchecked<string>(value), status: 'completed' })],
      ]);
      await expectRejected(c, attempts);
    });

    it('invalid UUIDs are rejected by touchStep and touchRun', async () => {
      const c = ctx();
      const attempts = BAD_UUIDS.flatMap((value): Array<readonly [string, Attempt]> => {
        const bad = unchecked<string>(value);
        return [
          ['stepId', (s) => s.touchStep({ stepId: bad, runId: newId(), chatId: newId() })],
          ['runId', (s) => s.touchStep({ stepId: newId(), runId: bad, chatId: newId() })],
          ['chatId', (s) => s.touchStep({ stepId: newId(), runId: newId(), chatId: bad })],
          ['runId', (s) => s.touchRun({ runId: bad, chatId: newId() })],
          ['chatId', (s) => s.touchRun({ runId: newId(), chatId: bad })],
        ];
      });
      await expectRejected(c, attempts);
    });

    it('invalid UUIDs are rejected by deletes, reads and aggregation', async () => {
      const c = ctx();
      const now = c.clock.now();
      const attempts = BAD_UUIDS.flatMap((value): Array<readonly [string, Attempt]> => {
        const bad = unchecked<string>(value);
        return [
          ['chatId', (s) => s.deleteByChatId(bad, now)],
          ['chatId', (s) => s.deleteAfterMessageId(bad, 1, now)],
          ['chatId', (s) => s.listRuns(bad)],
          ['runId', (s) => s.getRun(bad)],
          ['runId', (s) => s.listSteps(bad)],
          ['runId', (s) => s.aggregateRunSummary(bad, {})],
        ];
      });
      attempts.push(['chatId', (s) => s.getRun(newId(), { chatId: 'nope' })]);
      await expectRejected(c, attempts);
    });

    it('message ids must be non-negative integers', async () => {
      const c = ctx();
      const now = c.clock.now();
      const attempts: Array<readonly [string, Attempt]> = [];
      for (const value of [-1, 1.5, Number.NaN, '7']) {
        attempts.push(
          ['triggerMessageId', (s) => s.createRun(runParams(c, { triggerMessageId: value }))],
          ['historyTipMessageId', (s) => s.createRun(runParams(c, { historyTipMessageId: value }))],
          ['historyTipMessageId', (s) => s.createStep(stepParams({ historyTipMessageId: value }))],
          ['assistantMessageId', (s) => s.updateStep({ id: newId(), chatId: newId(), assistantMessageId: unchecked<number>(value) })],
        );
      }
      attempts.push(['messageId', (s) => s.deleteAfterMessageId(newId(), 1.5, now)], ['messageId', (s) => s.deleteAfterMessageId(newId(), unchecked<number>('3'), now)]);
      await expectRejected(c, attempts);
    });

    it('dates must be valid Date objects', async () => {
      const c = ctx();
      const invalid = new Date(Number.NaN);
      await expectRejected(c, [
        ['at', (s) => s.createRun(runParams(c, { at: invalid }))],
        ['finishedAt', (s) => s.updateRun({ id: newId(), chatId: newId(), finishedAt: invalid })],
        ['finishedAt', (s) => s.updateStep({ id: newId(), chatId: newId(), finishedAt: unchecked<Date>('2026-01-01') })],
        ['startedBefore', (s) => s.deleteByChatId(newId(), invalid)],
        ['startedBefore', (s) => s.deleteAfterMessageId(newId(), 1, unchecked<Date>(undefined))],
      ]);
    });

    it('listRuns limits must be positive integers', async () => {
      const c = ctx();
      const attempts = [0, -1, 1.5, Number.NaN].map((limit): readonly [string, Attempt] => ['limit', (s) => s.listRuns(newId(), { limit })]);
      await expectRejected(c, attempts);
    });
  });
}
