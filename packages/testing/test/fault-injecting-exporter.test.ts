import { describe, expect, it } from 'vitest';
import type { RunRecord } from '@chatdebug/sdk';
import { JSON_NULL, isTransientError, newId } from '@chatdebug/sdk';
import { FaultInjectingExporter, InjectedConnectionError, MemoryExporter, MockClock } from '@chatdebug/testing';

function runRecord(overrides: Partial<RunRecord> = {}): RunRecord {
  const at = new Date(Date.UTC(2026, 0, 1));
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
    summary: {},
    startedAt: at,
    updatedAt: at,
    finishedAt: null,
    ...overrides,
  };
}

describe('FaultInjectingExporter', () => {
  it('forwards every call to the wrapped exporter and logs it with its outcome', async () => {
    const memory = new MemoryExporter();
    const exporter = new FaultInjectingExporter(memory);
    const run = runRecord();
    await exporter.insertRun(run);
    expect(await exporter.getRun(run.id)).toEqual(run);
    expect(await exporter.listRuns({ chatId: run.chatId, limit: 10 })).toEqual([run]);
    expect(memory.runs()).toEqual([run]);
    expect(exporter.methods()).toEqual(['insertRun', 'getRun', 'listRuns']);
    expect(exporter.calls.map((call) => call.outcome)).toEqual(['ok', 'ok', 'ok']);
    expect(exporter.callCount('getRun')).toBe(1);
    expect(exporter.callCount()).toBe(3);
  });

  it('failNext(n) fails the next n calls of any method with a transient 57P01 error, without reaching the wrapped exporter', async () => {
    const memory = new MemoryExporter();
    const exporter = new FaultInjectingExporter(memory).failNext(2);
    const run = runRecord();
    const first = exporter.insertRun(run);
    await expect(first).rejects.toBeInstanceOf(InjectedConnectionError);
    await expect(exporter.getRun(run.id)).rejects.toMatchObject({ code: '57P01', method: 'getRun' });
    expect(memory.runs()).toEqual([]);
    await exporter.insertRun(run);
    expect(memory.runs()).toHaveLength(1);
    const error = await first.catch((caught: unknown) => caught);
    expect(isTransientError(error)).toBe(true);
    expect(exporter.calls.map((call) => call.outcome)).toEqual(['injected', 'injected', 'ok']);
  });

  it('failNext with a given error (or a factory) throws that error', async () => {
    const boom = new Error('boom');
    const exporter = new FaultInjectingExporter(new MemoryExporter()).failNext(1, boom);
    await expect(exporter.getRun(newId())).rejects.toBe(boom);
    exporter.failNext(1, (call) => new Error(`failed ${call.method}`));
    await expect(exporter.listSteps(newId())).rejects.toThrow('failed listSteps');
  });

  it('failMatching fails only matching calls, as many times as asked (forever by default)', async () => {
    const exporter = new FaultInjectingExporter(new MemoryExporter());
    const run = runRecord();
    exporter.failMatching((call) => call.method === 'updateRun' && call.args[0].status === 'completed', undefined, 2);
    await exporter.insertRun(run);
    const update = { id: run.id, chatId: run.chatId, now: new Date(), status: 'completed' as const };
    await expect(exporter.updateRun(update)).rejects.toMatchObject({ code: '57P01' });
    await expect(exporter.updateRun({ ...update, status: 'error' })).resolves.toMatchObject({ status: 'error' });
    await expect(exporter.updateRun(update)).rejects.toMatchObject({ code: '57P01' });
    await expect(exporter.updateRun(update)).resolves.toMatchObject({ status: 'completed' });
    exporter.failMatching((call) => call.method === 'listSteps');
    for (let i = 0; i < 3; i++) await expect(exporter.listSteps(run.id)).rejects.toThrow();
  });

  it('errors of the wrapped exporter pass through and are logged as failed', async () => {
    const exporter = new FaultInjectingExporter(new MemoryExporter());
    const run = runRecord();
    await exporter.insertRun(run);
    await expect(exporter.insertRun(run)).rejects.toMatchObject({ code: '23505' });
    expect(exporter.calls[1]).toMatchObject({ method: 'insertRun', outcome: 'failed', error: { code: '23505' } });
  });

  it('delay() holds calls on the given clock until it advances', async () => {
    const clock = new MockClock();
    const memory = new MemoryExporter();
    const exporter = new FaultInjectingExporter(memory).delay(1_000, clock);
    const run = runRecord();
    let done = false;
    const pending = exporter.insertRun(run).then(() => {
      done = true;
    });
    await clock.advanceAsync(999);
    expect(done).toBe(false);
    expect(memory.runs()).toEqual([]);
    expect(exporter.inFlight).toBe(1);
    await clock.advanceAsync(1);
    await pending;
    expect(memory.runs()).toHaveLength(1);
    expect(exporter.inFlight).toBe(0);
  });

  it('delay() can target matching calls; delay(0) removes it', async () => {
    const clock = new MockClock();
    const exporter = new FaultInjectingExporter(new MemoryExporter()).delay(500, clock, (call) => call.method === 'listSteps');
    await expect(exporter.getRun(newId())).resolves.toBeUndefined();
    let listed = false;
    void exporter.listSteps(newId()).then(() => {
      listed = true;
    });
    await clock.settle();
    expect(listed).toBe(false);
    await clock.advanceAsync(500);
    expect(listed).toBe(true);
    exporter.delay(0);
    await expect(exporter.listSteps(newId())).resolves.toEqual([]);
  });

  it('a delayed failure fails after the delay', async () => {
    const clock = new MockClock();
    const exporter = new FaultInjectingExporter(new MemoryExporter()).delay(100, clock).failNext(1);
    let settled: unknown = 'pending';
    void exporter.getRun(newId()).catch((error: unknown) => {
      settled = error;
    });
    await clock.settle();
    expect(settled).toBe('pending');
    await clock.advanceAsync(100);
    expect(settled).toBeInstanceOf(InjectedConnectionError);
  });

  it('logs snapshots of the arguments taken at call time, keeping the JSON_NULL sentinel', async () => {
    const exporter = new FaultInjectingExporter(new MemoryExporter());
    const update = { id: newId(), chatId: newId(), now: new Date(0), error: JSON_NULL, metadata: { a: 1 } };
    await exporter.updateStep(update);
    update.metadata.a = 2;
    update.now.setTime(5);
    const [call] = exporter.calls;
    expect(call?.method).toBe('updateStep');
    const logged = call?.method === 'updateStep' ? call.args[0] : undefined;
    expect(logged?.metadata).toEqual({ a: 1 });
    expect(logged?.now).toEqual(new Date(0));
    expect(logged?.error).toBe(JSON_NULL);
  });

  it('idle() resolves once no call is in flight', async () => {
    const clock = new MockClock();
    const exporter = new FaultInjectingExporter(new MemoryExporter()).delay(100, clock);
    let idle = false;
    void exporter.getRun(newId());
    const waiting = exporter.idle().then(() => {
      idle = true;
    });
    await clock.settle();
    expect(idle).toBe(false);
    await clock.advanceAsync(100);
    await waiting;
    expect(idle).toBe(true);
    await expect(exporter.idle()).resolves.toBeUndefined();
  });

  it('reset() removes faults and delays and forgets the log; clearCalls() forgets only the log', async () => {
    const exporter = new FaultInjectingExporter(new MemoryExporter()).failNext(5);
    await expect(exporter.getRun(newId())).rejects.toThrow();
    exporter.clearCalls();
    expect(exporter.calls).toEqual([]);
    await expect(exporter.getRun(newId())).rejects.toThrow();
    exporter.reset();
    expect(exporter.calls).toEqual([]);
    await expect(exporter.getRun(newId())).resolves.toBeUndefined();
  });

  it('shutdown() reaches the wrapped exporter', async () => {
    const memory = new MemoryExporter();
    const exporter = new FaultInjectingExporter(memory);
    await exporter.shutdown();
    expect(memory.isShutdown).toBe(true);
    expect(exporter.methods()).toEqual(['shutdown']);
  });
});
