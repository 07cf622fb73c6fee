import { describe, expect, it } from 'vitest';
import { DebugService, HeartbeatScheduler, createTracer } from '@chatdebug/sdk';
import { FaultInjectingExporter, MemoryExporter, MockClock } from '@chatdebug/testing';
import { CHAT, setup, turns } from '../support/tracing.js';

function touches(calls: ReadonlyArray<{ method: string }>, method: string): number {
  return calls.filter((call) => call.method === method).length;
}

describe('heartbeats (§5, §7 item 49)', () => {
  it('touch an open step (and its run) every threshold/2 on the mock clock, and stop when it ends', async () => {
    const { tracer, exporter, memory, clock, flush } = setup({ staleAfterMillis: 10_000 });
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    const step = run.startStep();
    await flush();
    const started = memory.steps()[0]!.updatedAt.getTime();

    await clock.advanceAsync(4_999);
    await flush();
    expect(touches(exporter.calls, 'touchStepAndRun')).toBe(0);
    await clock.advanceAsync(1);
    await flush();
    expect(touches(exporter.calls, 'touchStepAndRun')).toBe(1);
    expect(memory.steps()[0]!.updatedAt.getTime()).toBe(started + 5_000);
    expect(memory.runs()[0]!.updatedAt.getTime()).toBe(started + 5_000);
    // While a step heartbeats, the run needs no touch of its own.
    expect(touches(exporter.calls, 'touchRun')).toBe(0);

    await clock.advanceAsync(10_000);
    await flush();
    expect(touches(exporter.calls, 'touchStepAndRun')).toBe(3);

    step.end();
    await clock.advanceAsync(10_000);
    await flush();
    expect(touches(exporter.calls, 'touchStepAndRun')).toBe(3);
    // The run itself keeps heartbeating between steps.
    expect(touches(exporter.calls, 'touchRun')).toBe(2);

    run.end();
    await flush();
    expect(clock.pendingTimers).toBe(0);
    await clock.advanceAsync(60_000);
    await flush();
    expect(touches(exporter.calls, 'touchRun')).toBe(2);
  });

  it('a shrinking threshold re-arms at once at the new half, without waiting for the old period', async () => {
    const { tracer, service, exporter, clock, flush } = setup({ staleAfterMillis: 60_000 });
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    run.startStep();
    await clock.advanceAsync(10_000);
    service.setStaleAfter(4_000);
    await clock.advanceAsync(2_000);
    await flush();
    expect(touches(exporter.calls, 'touchStepAndRun')).toBe(1);
    await clock.advanceAsync(2_000);
    await flush();
    expect(touches(exporter.calls, 'touchStepAndRun')).toBe(2);
    // Ignored values leave the interval alone.
    service.setStaleAfter(0);
    service.setStaleAfter(-5);
    expect(service.heartbeatIntervalMillis).toBe(2_000);
    run.end();
    await flush();
  });

  it('a sweep never finalizes a heartbeating step, and finalizes it once heartbeats stop', async () => {
    const { tracer, service, memory, clock, flush } = setup({ staleAfterMillis: 10_000 });
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    run.startStep({ heartbeat: true });
    for (let i = 0; i < 6; i++) {
      await clock.advanceAsync(5_000);
      await flush();
      expect(await service.finalizeStale()).toEqual({ runsFinalized: 0, stepsFinalized: 0 });
    }
    await tracer.shutdown();
    await clock.advanceAsync(10_001);
    expect(await service.finalizeStale()).toEqual({ runsFinalized: 1, stepsFinalized: 1 });
    expect(memory.steps()[0]?.status).toBe('interrupted');
    await turns(2);
  });

  it('manual heartbeat() writes a touch immediately; none after the span ended', async () => {
    const { tracer, exporter, flush } = setup();
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn', heartbeat: false });
    const step = run.startStep({ heartbeat: false });
    step.heartbeat();
    run.heartbeat();
    step.end();
    step.heartbeat();
    run.end();
    run.heartbeat();
    await flush();
    expect(touches(exporter.calls, 'touchStepAndRun')).toBe(1);
    // The step does not heartbeat on its own here, so the run's manual heartbeat writes a touch.
    expect(touches(exporter.calls, 'touchRun')).toBe(1);
  });

  it('a blocking call heartbeats only while it is in flight, whether it resolves or throws (§5 Generate)', async () => {
    const { tracer, exporter, clock, flush } = setup({ staleAfterMillis: 10_000 });
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn', heartbeat: false });
    let release: (value: string) => void = () => {};
    const call = tracer.traceCall({ run }, () => new Promise<string>((resolve) => (release = resolve)));
    expect(tracer.stats().heartbeating).toBe(1);
    await clock.advanceAsync(10_000);
    await flush();
    expect(touches(exporter.calls, 'touchStepAndRun')).toBe(2);
    release('done');
    await call;
    expect(tracer.stats().heartbeating).toBe(0);
    expect(clock.pendingTimers).toBe(0);

    let fail: (error: Error) => void = () => {};
    const failing = tracer.traceCall({ run }, () => new Promise<string>((_, reject) => (fail = reject)));
    await clock.advanceAsync(5_000);
    await flush();
    expect(touches(exporter.calls, 'touchStepAndRun')).toBe(3);
    fail(new Error('upstream broke'));
    await expect(failing).rejects.toThrow('upstream broke');
    expect(tracer.stats().heartbeating).toBe(0);
    await clock.advanceAsync(30_000);
    await flush();
    expect(touches(exporter.calls, 'touchStepAndRun')).toBe(3);
    run.end();
    await flush();
  });

  it('a step reused for a retry heartbeats through the retry, although it ended once (no sweep mid-call)', async () => {
    const { tracer, exporter, memory, clock, flush, service } = setup({ staleAfterMillis: 10_000 });
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn', heartbeat: false });
    const step = run.startStep({ heartbeat: false });
    await expect(tracer.traceCall({ run, step }, async () => Promise.reject(new Error('429')))).rejects.toThrow('429');
    expect(step.ended).toBe(true);
    let release: (value: string) => void = () => {};
    const retry = tracer.traceCall({ run, step }, () => new Promise<string>((resolve) => (release = resolve)));
    await clock.advanceAsync(30_000);
    await flush();
    expect(touches(exporter.calls, 'touchStepAndRun')).toBe(6);
    expect(await service.finalizeStale()).toEqual({ runsFinalized: 0, stepsFinalized: 0 });
    release('ok');
    await retry;
    await clock.advanceAsync(30_000);
    await flush();
    expect(touches(exporter.calls, 'touchStepAndRun')).toBe(6);
    run.end();
    await flush();
    expect(memory.runs()[0]?.status).toBe('completed');
    expect(memory.steps()[0]).toMatchObject({ status: 'completed', error: null });
  });

  it('two calls in flight on one step: the heartbeat lasts until the last one returns; a heartbeating step keeps its own', async () => {
    const { tracer, exporter, clock, flush } = setup({ staleAfterMillis: 10_000 });
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn', heartbeat: false });
    const step = run.startStep({ heartbeat: false });
    const releases: ((value: string) => void)[] = [];
    const first = tracer.traceCall({ run, step }, () => new Promise<string>((resolve) => releases.push(resolve)));
    const second = tracer.traceCall({ run, step }, () => new Promise<string>((resolve) => releases.push(resolve)));
    releases[0]?.('one');
    await first;
    // The first call ended the step; the second is still in flight and still heartbeats.
    await clock.advanceAsync(10_000);
    await flush();
    expect(touches(exporter.calls, 'touchStepAndRun')).toBe(2);
    releases[1]?.('two');
    await second;
    expect(tracer.stats().heartbeating).toBe(0);

    // A step heartbeating on its own (the default) still does after a call that leaves it open.
    const streaming = run.startStep({ operation: 'stream' });
    expect(tracer.stats().heartbeating).toBe(1);
    await tracer.traceOpen(streaming, async () => 'opened');
    expect(tracer.stats().heartbeating).toBe(1);
    streaming.end();
    expect(tracer.stats().heartbeating).toBe(0);
    run.end();
    await flush();
  });

  it('a disabled tracer heartbeats nothing and arms no timer (the nil-service no-op)', async () => {
    const clock = new MockClock();
    const exporter = new FaultInjectingExporter(new MemoryExporter());
    const tracer = createTracer({ exporter, clock, enabled: false, staleAfterMillis: 1_000 });
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    const step = run.startStep();
    step.heartbeat();
    run.heartbeat();
    await tracer.withRun(run, () => tracer.traceCall({}, () => clock.advanceAsync(5_000).then(() => 'ok')));
    expect(clock.pendingTimers).toBe(0);
    expect(tracer.stats().heartbeating).toBe(0);
    await tracer.forceFlush();
    expect(exporter.calls).toEqual([]);
  });

  it('the period is half the stale threshold, never below 1 ms', () => {
    const service = new DebugService({ exporter: new MemoryExporter(), clock: new MockClock(), staleAfterMillis: 10_000 });
    expect(service.heartbeatIntervalMillis).toBe(5_000);
    service.setStaleAfter(3);
    expect(service.heartbeatIntervalMillis).toBe(1.5);
    service.setStaleAfter(1);
    expect(service.heartbeatIntervalMillis).toBe(1);
    service.setStaleAfter(0.5);
    expect(service.heartbeatIntervalMillis).toBe(1);
  });

  it('each tick re-reads the interval and re-arms when it changed without a notification (secondary safeguard)', () => {
    const clock = new MockClock();
    const start = clock.nowMillis();
    let interval = 10_000;
    const scheduler = new HeartbeatScheduler(clock, () => interval);
    const beats: number[] = [];
    scheduler.add({ heartbeat: () => void beats.push(clock.nowMillis() - start) });
    expect(scheduler.armedMillis).toBe(10_000);
    interval = 2_000;
    clock.advance(10_000);
    expect(scheduler.armedMillis).toBe(2_000);
    clock.advance(4_000);
    expect(beats).toEqual([10_000, 12_000, 14_000]);
    scheduler.stop();
    expect(clock.pendingTimers).toBe(0);
  });

  it('spans started and ended back to back share one timer, stopped once the job ends (no tick in between)', async () => {
    const clock = new MockClock();
    let armed = 0;
    const setInterval = clock.setInterval.bind(clock);
    clock.setInterval = (callback, millis) => {
      armed++;
      return setInterval(callback, millis);
    };
    const scheduler = new HeartbeatScheduler(clock, () => 1_000);
    const beats: string[] = [];
    for (let i = 0; i < 100; i++) {
      const run = { heartbeat: () => void beats.push(`run ${i}`) };
      const step = { heartbeat: () => void beats.push(`step ${i}`) };
      scheduler.add(run);
      scheduler.add(step);
      scheduler.delete(step);
      scheduler.delete(run);
    }
    expect(armed).toBe(1);
    expect(scheduler.size).toBe(0);
    expect(scheduler.armedMillis).toBe(0);
    await Promise.resolve();
    expect(clock.pendingTimers).toBe(0);
    clock.advance(5_000);
    expect(beats).toEqual([]);
  });

  it('beats every live target once per tick, oldest first, however many are open', () => {
    const clock = new MockClock();
    const scheduler = new HeartbeatScheduler(clock, () => 1_000);
    const beats: number[] = [];
    const targets = Array.from({ length: 50 }, (_, i) => ({ heartbeat: () => void beats.push(i) }));
    for (const target of targets) scheduler.add(target);
    scheduler.add(targets[3]!); // already there: keeps its place
    for (const i of [49, 0, 20, 7, 33]) scheduler.delete(targets[i]!);
    scheduler.add(targets[0]!); // back again: now the newest
    expect(scheduler.size).toBe(46);
    expect(scheduler.has(targets[20]!)).toBe(false);
    expect(scheduler.has(targets[0]!)).toBe(true);
    clock.advance(1_000);
    const expected = [...Array.from({ length: 50 }, (_, i) => i).filter((i) => ![49, 0, 20, 7, 33].includes(i)), 0];
    expect(beats).toEqual(expected);
    scheduler.stop();
    expect(scheduler.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});
