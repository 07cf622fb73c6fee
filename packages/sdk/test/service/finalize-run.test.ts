import { describe, expect, it } from 'vitest';
import { DebugService, TimeoutError, silentLogger } from '@chatdebug/sdk';
import { FaultInjectingExporter, MemoryExporter, MockClock } from '@chatdebug/testing';
import { CHAT } from '../support/tracing.js';

describe('finalizeRun deadline (§3.11, §7 item 37)', () => {
  it('ignores the caller (no signal) but gives up at its own deadline, and still drops the step counter', async () => {
    const clock = new MockClock();
    const memory = new MemoryExporter();
    const exporter = new FaultInjectingExporter(memory);
    const service = new DebugService({ exporter, clock, finalizeTimeoutMillis: 2_000 });
    const run = await service.createRun({ chatId: CHAT, kind: 'chat_turn' });
    service.stepCounter.next(run.id);
    exporter.delay(10_000, clock);
    const finalizing = service.finalizeRun({ runId: run.id, chatId: CHAT, status: 'completed' });
    const outcome = finalizing.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await clock.advanceAsync(2_000);
    expect(await outcome).toBeInstanceOf(TimeoutError);
    expect(service.stepCounter.peek(run.id)).toBe(0);
    await clock.advanceAsync(20_000);
  });

  it('falls back to the seed summary when aggregation fails', async () => {
    const clock = new MockClock();
    const memory = new MemoryExporter();
    const exporter = new FaultInjectingExporter(memory);
    const service = new DebugService({ exporter, clock, logger: silentLogger });
    const run = await service.createRun({ chatId: CHAT, kind: 'chat_turn' });
    exporter.failMatching((call) => call.method === 'listSteps', new Error('list failed'), 1);
    const stored = await service.finalizeRun({ runId: run.id, chatId: CHAT, status: 'error', seedSummary: { first_message: 'hi' } });
    expect(stored.summary).toEqual({ first_message: 'hi' });
    expect(stored.status).toBe('error');
    expect(stored.finishedAt).toEqual(clock.now());
  });
});
