import { describe, expect, it } from 'vitest';
import type { RunRecord, StepRecord } from '@chatdebug/sdk';
import { DebugService, JSON_NULL, NIL_UUID, newId } from '@chatdebug/sdk';
import { DuplicateKeyError, MemoryExporter, MemorySettingsStore, MockClock, RecordingEventBus } from '@chatdebug/testing';

const AT = new Date(Date.UTC(2026, 0, 1));

function runRecord(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: newId(),
    chatId: newId(),
    rootChatId: null,
    parentChatId: null,
    modelConfigId: null,
    triggerMessageId: null,
    historyTipMessageId: null,
    kind: 'chat_turn',
    status: 'in_progress',
    provider: null,
    model: null,
    summary: { first_message: 'hi' },
    startedAt: new Date(AT),
    updatedAt: new Date(AT),
    finishedAt: null,
    ...overrides,
  };
}

function stepRecord(run: RunRecord, overrides: Partial<StepRecord> = {}): StepRecord {
  return {
    id: newId(),
    runId: run.id,
    chatId: run.chatId,
    stepNumber: 1,
    operation: 'generate',
    status: 'in_progress',
    historyTipMessageId: null,
    assistantMessageId: null,
    normalizedRequest: { messages: [{ role: 'user', content: 'hi' }] },
    normalizedResponse: null,
    usage: null,
    attempts: [],
    error: null,
    metadata: {},
    startedAt: new Date(AT),
    updatedAt: new Date(AT),
    finishedAt: null,
    ...overrides,
  };
}

describe('MemoryExporter', () => {
  it('stores copies of what it is given: mutating the input afterwards changes nothing', async () => {
    const exporter = new MemoryExporter();
    const run = runRecord();
    await exporter.insertRun(run);
    run.summary.first_message = 'mutated';
    run.startedAt.setTime(0);
    const step = stepRecord(run);
    await exporter.insertStep(step);
    (step.normalizedRequest as { messages: unknown[] }).messages.push('x');
    expect(exporter.runs()[0]?.summary).toEqual({ first_message: 'hi' });
    expect(exporter.runs()[0]?.startedAt).toEqual(AT);
    expect(exporter.steps()[0]?.normalizedRequest).toEqual({ messages: [{ role: 'user', content: 'hi' }] });
  });

  it('returns copies from every read and write: mutating them changes nothing stored', async () => {
    const exporter = new MemoryExporter();
    const run = runRecord();
    const inserted = await exporter.insertRun(run);
    const step = stepRecord(run);
    const result = await exporter.insertStep(step);
    const updated = await exporter.updateStep({ id: step.id, chatId: run.chatId, now: AT, metadata: { a: 1 } });
    const rows: Array<RunRecord | StepRecord | undefined> = [
      inserted,
      await exporter.getRun(run.id),
      ...(await exporter.listRuns({ chatId: run.chatId, limit: 10 })),
      ...exporter.runs(),
      result.outcome === 'inserted' ? result.step : undefined,
      updated,
      ...(await exporter.listSteps(run.id)),
      ...exporter.steps(),
      ...exporter.steps(run.id),
    ];
    for (const row of rows) {
      if (!row) throw new Error('missing row');
      row.status = 'error';
      row.updatedAt.setTime(0);
      if ('summary' in row) row.summary.first_message = 'mutated';
      else row.metadata.a = 2;
    }
    expect(exporter.runs()).toEqual([{ ...run, startedAt: AT, updatedAt: AT, summary: { first_message: 'hi' } }]);
    expect(exporter.steps()).toEqual([{ ...step, metadata: { a: 1 } }]);
  });

  it('duplicate ids reject with a DuplicateKeyError shaped like a pg unique violation', async () => {
    const exporter = new MemoryExporter();
    const run = runRecord();
    await exporter.insertRun(run);
    await expect(exporter.insertRun(run)).rejects.toMatchObject({ code: '23505', constraint: 'chat_debug_runs_pkey' });
    const step = stepRecord(run);
    await exporter.insertStep(step);
    const duplicate = exporter.insertStep({ ...step, stepNumber: 2 });
    await expect(duplicate).rejects.toBeInstanceOf(DuplicateKeyError);
    await expect(duplicate).rejects.toMatchObject({ constraint: 'chat_debug_steps_pkey' });
  });

  it('the guarded insert reports run_unavailable and step_number_taken without side effects', async () => {
    const exporter = new MemoryExporter();
    const run = runRecord();
    await exporter.insertRun(run);
    const later = new Date(AT.getTime() + 1_000);
    expect(await exporter.insertStep(stepRecord(run, { chatId: newId() }))).toEqual({ outcome: 'run_unavailable' });
    expect(await exporter.insertStep(stepRecord(runRecord()))).toEqual({ outcome: 'run_unavailable' });
    await exporter.insertStep(stepRecord(run));
    expect(await exporter.insertStep(stepRecord(run, { updatedAt: later }))).toEqual({ outcome: 'step_number_taken' });
    expect((await exporter.getRun(run.id))?.updatedAt).toEqual(AT);
    await exporter.updateRun({ id: run.id, chatId: run.chatId, now: later, finishedAt: later });
    expect(await exporter.insertStep(stepRecord(run, { stepNumber: 2 }))).toEqual({ outcome: 'run_unavailable' });
    expect(exporter.steps()).toHaveLength(1);
  });

  it('JSON_NULL in a run summary stores JSON null; undefined fields keep', async () => {
    const exporter = new MemoryExporter();
    const run = runRecord({ provider: 'openai' });
    await exporter.insertRun(run);
    const updated = await exporter.updateRun({ id: run.id, chatId: run.chatId, now: AT, summary: JSON_NULL });
    expect(updated?.summary).toBeNull();
    expect(updated?.provider).toBe('openai');
  });

  it('steps(runId) returns one run in step order; runs() and steps() keep insertion order', async () => {
    const exporter = new MemoryExporter();
    const a = runRecord();
    const b = runRecord({ startedAt: new Date(AT.getTime() + 5) });
    await exporter.insertRun(b);
    await exporter.insertRun(a);
    await exporter.insertStep(stepRecord(a, { stepNumber: 2 }));
    await exporter.insertStep(stepRecord(b, { stepNumber: 1 }));
    await exporter.insertStep(stepRecord(a, { stepNumber: 1 }));
    expect(exporter.runs().map((run) => run.id)).toEqual([b.id, a.id]);
    expect(exporter.steps().map((step) => [step.runId, step.stepNumber])).toEqual([
      [a.id, 2],
      [b.id, 1],
      [a.id, 1],
    ]);
    expect(exporter.steps(a.id).map((step) => step.stepNumber)).toEqual([1, 2]);
  });

  it('reset() empties the store; shutdown() refuses every later call with code shutdown', async () => {
    const exporter = new MemoryExporter();
    const run = runRecord();
    await exporter.insertRun(run);
    await exporter.insertStep(stepRecord(run));
    exporter.reset();
    expect(exporter.runs()).toEqual([]);
    expect(exporter.steps()).toEqual([]);
    await exporter.shutdown();
    expect(exporter.isShutdown).toBe(true);
    await expect(exporter.insertRun(runRecord())).rejects.toMatchObject({ code: 'shutdown' });
    await expect(exporter.listRuns({ chatId: run.chatId, limit: 1 })).rejects.toMatchObject({ code: 'shutdown' });
    await expect(exporter.shutdown()).resolves.toBeUndefined();
  });

  it('a limit of 0 lists and purges nothing', async () => {
    const exporter = new MemoryExporter();
    const run = runRecord();
    await exporter.insertRun(run);
    expect(await exporter.listRuns({ chatId: run.chatId, limit: 0 })).toEqual([]);
    expect(await exporter.purgeRuns({ updatedBefore: new Date(AT.getTime() + 1), limit: 0 })).toBe(0);
    expect(exporter.runs()).toHaveLength(1);
  });
});

describe('MemorySettingsStore', () => {
  it('reads unset values as undefined and returns what was set', async () => {
    const settings = new MemorySettingsStore();
    const owner = newId();
    expect(await settings.getAllowUsers()).toBeUndefined();
    expect(await settings.getUserEnabled(owner)).toBeUndefined();
    expect(await settings.getRetentionDays()).toBeUndefined();
    await settings.setAllowUsers(true);
    await settings.setUserEnabled(owner, true);
    await settings.setRetentionDays(0);
    expect(await settings.getAllowUsers()).toBe(true);
    expect(await settings.getUserEnabled(owner.toUpperCase())).toBe(true);
    expect(await settings.getRetentionDays()).toBe(0);
    await expect(settings.setRetentionDays(-1)).rejects.toThrow(RangeError);
  });

  it('takes initial values, and reset() forgets everything (or loads new values)', async () => {
    const owner = newId();
    const settings = new MemorySettingsStore({ allowUsers: true, users: { [owner]: true }, retentionDays: 7 });
    const service = new DebugService({ exporter: new MemoryExporter(), settings, clock: new MockClock() });
    expect(await service.isEnabled(newId(), owner)).toBe(true);
    settings.reset();
    expect(await settings.getAllowUsers()).toBeUndefined();
    expect(await settings.getUserEnabled(owner)).toBeUndefined();
    expect(await settings.getRetentionDays()).toBeUndefined();
    settings.reset({ retentionDays: 3 });
    expect(await settings.getRetentionDays()).toBe(3);
  });
});

describe('RecordingEventBus', () => {
  it('records events in order with their channel and delivers them to subscribers', async () => {
    const bus = new RecordingEventBus();
    const exporter = new MemoryExporter();
    const service = new DebugService({ exporter, eventBus: bus, clock: new MockClock() });
    const chatId = newId();
    const received: string[] = [];
    const unsubscribe = await bus.subscribe(chatId, (event) => received.push(event.kind));
    const run = await service.createRun({ chatId, kind: 'chat_turn' });
    await service.createStep({ runId: run.id, chatId, stepNumber: 1, operation: 'generate' });
    await unsubscribe();
    await service.deleteByChatId(chatId, new Date(Date.UTC(2027, 0, 1)));
    expect(bus.events).toEqual([
      { kind: 'run_update', chatId, runId: run.id, stepId: NIL_UUID, channel: `chat_debug:${chatId}` },
      { kind: 'step_update', chatId, runId: run.id, stepId: expect.any(String), channel: `chat_debug:${chatId}` },
      { kind: 'delete', chatId, runId: NIL_UUID, stepId: NIL_UUID, channel: `chat_debug:${chatId}` },
    ]);
    expect(received).toEqual(['run_update', 'step_update']);
    expect(bus.kinds(chatId)).toEqual(['run_update', 'step_update', 'delete']);
    expect(bus.kinds(newId())).toEqual([]);
    bus.clear();
    expect(bus.events).toEqual([]);
  });

  it('failPublishes() makes publish throw until resumePublishes()', () => {
    const bus = new RecordingEventBus();
    const event = { kind: 'finalize' as const, chatId: NIL_UUID, runId: NIL_UUID, stepId: NIL_UUID };
    bus.failPublishes(new Error('down'));
    expect(() => bus.publish(event)).toThrow('down');
    expect(bus.events).toEqual([]);
    bus.resumePublishes();
    bus.publish(event);
    expect(bus.events).toEqual([{ ...event, channel: 'chat_debug:broadcast' }]);
  });
});
