import { describe, expect, it } from 'vitest';
import type { StepSpan } from '@chatdebug/sdk';
import { DebugService, InvalidArgumentError, JSON_NULL, Tracer, activeRun, activeStep, createTracer } from '@chatdebug/sdk';
import { MemoryExporter } from '@chatdebug/testing';
import { CHAT, setup } from '../support/tracing.js';

const usage = { input_tokens: 12, output_tokens: 5, total_tokens: 17 };

describe('tracer: runs and steps', () => {
  it('records a run with a traced call: request, response, usage, label and aggregated summary', async () => {
    const { tracer, memory, flush, clock } = setup();
    await tracer.run({ chatId: CHAT, kind: 'chat_turn', label: '  What is\n2+2?  ', provider: 'openai', model: 'gpt-x' }, async () => {
      clock.advance(10);
      await tracer.traceCall(
        {
          request: { messages: [{ role: 'user', parts: [{ type: 'text', text: 'What is 2+2?' }] }] },
          result: (value: { text: string; usage: typeof usage }) => ({ response: { content: [{ type: 'text', text: value.text }] }, usage: value.usage }),
        },
        async () => {
          clock.advance(30);
          return { text: '4', usage };
        },
      );
    });
    await flush();
    const [run] = memory.runs();
    expect(run).toMatchObject({
      chatId: CHAT,
      kind: 'chat_turn',
      status: 'completed',
      provider: 'openai',
      model: 'gpt-x',
      summary: { first_message: 'What is 2+2?', step_count: 1, total_input_tokens: 12, total_output_tokens: 5 },
    });
    expect(run?.finishedAt?.getTime()).toBe(run!.startedAt.getTime() + 40);
    const [step] = memory.steps();
    expect(step).toMatchObject({ stepNumber: 1, operation: 'generate', status: 'completed', usage, error: null, metadata: {} });
    expect(step?.normalizedRequest).toEqual({ messages: [{ role: 'user', parts: [{ type: 'text', text: 'What is 2+2?' }] }] });
  });

  it('the step is active inside the call with run, chat, number 1 and operation (§7 item 41)', async () => {
    const { tracer, memory, flush } = setup();
    let seen: StepSpan | undefined;
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async (run) => {
      expect(activeRun()).toBe(run);
      await tracer.traceCall({ result: () => ({ response: { content: [] }, usage }) }, async () => {
        seen = activeStep();
        return 'ok';
      });
      expect(activeStep()).toBeUndefined();
    });
    await flush();
    expect(seen).toMatchObject({ runId: memory.runs()[0]!.id, chatId: CHAT, stepNumber: 1, operation: 'generate', isRecording: true });
    expect(memory.steps()[0]).toMatchObject({ status: 'completed', error: null, metadata: {}, normalizedResponse: { content: [] } });
  });

  it('a failing call records an error step with message and type, rethrows, and the run ends in error (item 43)', async () => {
    const { tracer, memory, flush } = setup();
    class ProviderError extends Error {
      status = 500;
    }
    await expect(
      tracer.run({ chatId: CHAT, kind: 'chat_turn' }, () => tracer.traceCall({}, async () => Promise.reject(new ProviderError('upstream broke')))),
    ).rejects.toThrow('upstream broke');
    await flush();
    expect(memory.steps()[0]).toMatchObject({
      status: 'error',
      error: { message: 'upstream broke', type: 'ProviderError', provider_status: 500 },
    });
    expect(memory.runs()[0]).toMatchObject({ status: 'error', summary: { has_error: true } });
  });

  it('a cancelled call is interrupted, not an error (item 44)', async () => {
    const { tracer, memory, flush } = setup();
    await expect(
      tracer.run({ chatId: CHAT, kind: 'chat_turn' }, () =>
        tracer.traceCall({}, async () => Promise.reject(new DOMException('The operation was aborted', 'AbortError'))),
      ),
    ).rejects.toThrow('aborted');
    await flush();
    expect(memory.steps()[0]?.status).toBe('interrupted');
    expect(memory.runs()[0]?.status).toBe('interrupted');
    expect(memory.runs()[0]?.summary).not.toHaveProperty('has_error');
  });

  it('a call that returns nothing is recorded as an error without changing what the caller gets (item 47)', async () => {
    const { tracer, memory, flush } = setup();
    const result = await tracer.run({ chatId: CHAT, kind: 'quickgen' }, () => tracer.traceCall({}, async () => undefined));
    await flush();
    expect(result).toBeUndefined();
    expect(memory.steps()[0]).toMatchObject({ status: 'error', error: { type: 'NilModelResult' } });
  });

  it('structured output metadata and raw text length are recorded (item 46)', async () => {
    const { tracer, memory, flush } = setup();
    await tracer.run({ chatId: CHAT, kind: 'quickgen' }, () =>
      tracer.traceCall(
        { result: (value: { raw: string }) => ({ metadata: { structured_output: true }, response: { raw_text_length: value.raw.length } }) },
        async () => ({ raw: '{"title":"Hi!!"}' }),
      ),
    );
    await flush();
    expect(memory.steps()[0]).toMatchObject({ status: 'completed', metadata: { structured_output: true }, normalizedResponse: { raw_text_length: 16 } });
  });

  it('reusing one step across retries keeps one step; a later success clears the earlier error (item 39, §6.3)', async () => {
    const { tracer, memory, flush } = setup();
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async (run) => {
      const step = run.startStep({ request: { attempt: 'shared' } });
      await expect(tracer.traceCall({ step }, async () => Promise.reject(new Error('429')))).rejects.toThrow();
      await tracer.traceCall({ step, result: () => ({ usage }) }, async () => 'ok');
    });
    await flush();
    expect(memory.steps()).toHaveLength(1);
    expect(memory.steps()[0]).toMatchObject({ status: 'completed', error: null, usage });
  });

  it('without reuse, two calls make steps 1 and 2 (item 39)', async () => {
    const { tracer, memory, flush } = setup();
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => {
      await tracer.traceCall({}, async () => 'a');
      await tracer.traceCall({ operation: 'stream' }, async () => 'b');
    });
    await flush();
    expect(memory.steps().map((s) => [s.stepNumber, s.operation])).toEqual([
      [1, 'generate'],
      [2, 'stream'],
    ]);
  });

  it('without an active run the call runs untraced with no step in context (items 38, 40)', async () => {
    const { tracer, memory, flush } = setup();
    let inner: StepSpan | undefined = undefined;
    const result = await tracer.traceCall({}, async (step) => {
      inner = activeStep();
      expect(step.isRecording).toBe(false);
      return 42;
    });
    await flush();
    expect(result).toBe(42);
    expect(inner).toBeUndefined();
    expect(memory.runs()).toHaveLength(0);
    expect(memory.steps()).toHaveLength(0);
  });

  it('a disabled tracer hands out no-op spans and writes nothing', async () => {
    const memory = new MemoryExporter();
    const tracer = createTracer({ exporter: memory, enabled: false });
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    const step = run.startStep();
    step.recordAttempt({ number: 1, status: 'completed', method: 'GET', url: 'u', path: '/', started_at: '', finished_at: '', duration_ms: 1 });
    step.end();
    run.end();
    await tracer.forceFlush();
    expect(run.isRecording).toBe(false);
    expect(step.isRecording).toBe(false);
    expect(memory.runs()).toHaveLength(0);
    expect(tracer.stats().pipeline.enqueued).toBe(0);
  });

  it('startRunIfEnabled follows the service settings (fail-closed)', async () => {
    const memory = new MemoryExporter();
    const off = await createTracer({ exporter: memory }).startRunIfEnabled({ chatId: CHAT, kind: 'chat_turn', ownerId: CHAT });
    expect(off.isRecording).toBe(false);
    const on = await createTracer({ exporter: memory, alwaysEnable: true }).startRunIfEnabled({ chatId: CHAT, kind: 'chat_turn' });
    expect(on.isRecording).toBe(true);
  });
});

describe('tracer: status rules', () => {
  it('a lower-priority late status never clobbers a final one; equal or higher overwrites', async () => {
    const { tracer, memory, flush } = setup();
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    const a = run.startStep();
    a.end({ status: 'completed', response: { content: [{ type: 'text', text: 'done' }] } });
    a.end({ status: 'interrupted' });
    const b = run.startStep();
    b.end({ status: 'error', error: new Error('first try') });
    b.end({ status: 'completed' });
    const c = run.startStep();
    c.end({ status: 'interrupted' });
    c.end({ status: 'error', error: { message: 'late error' } });
    run.end();
    await flush();
    const steps = memory.steps();
    expect(steps.map((s) => s.status)).toEqual(['completed', 'completed', 'error']);
    expect(steps[0]?.normalizedResponse).toEqual({ content: [{ type: 'text', text: 'done' }] });
    expect(steps[1]?.error).toBeNull();
    expect(a.status).toBe('completed');
  });

  it('ending a run ends its open steps as interrupted', async () => {
    const { tracer, memory, flush } = setup();
    const run = tracer.startRun({ chatId: CHAT, kind: 'compaction' });
    const step = run.startStep({ operation: 'stream' });
    run.end();
    await flush();
    expect(step.status).toBe('interrupted');
    expect(memory.steps()[0]).toMatchObject({ status: 'interrupted' });
    expect(memory.steps()[0]?.finishedAt).not.toBeNull();
    expect(memory.runs()[0]?.status).toBe('completed');
  });

  it('recordOutcome keeps the worst outcome for end()', async () => {
    const { tracer, memory, flush } = setup();
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    run.recordOutcome('completed').recordOutcome('error').recordOutcome('interrupted');
    run.end();
    await flush();
    expect(memory.runs()[0]?.status).toBe('error');
  });

  it('explicit JSON_NULL clears an error through update()', async () => {
    const { tracer, memory, flush } = setup();
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    const step = run.startStep();
    step.update({ error: { message: 'transient' } });
    step.update({ error: JSON_NULL });
    step.end({ status: 'completed' });
    run.end();
    await flush();
    expect(memory.steps()[0]?.error).toBeNull();
  });

  it('run.update changes provider/model and merges summary keys; the seed survives aggregation', async () => {
    const { tracer, memory, flush } = setup();
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn', label: 'hello', summary: { mcp_connect: [] } });
    run.update({ provider: 'anthropic', model: 'claude-x', summary: { custom: 1 } });
    run.end();
    await flush();
    expect(memory.runs()[0]).toMatchObject({
      provider: 'anthropic',
      model: 'claude-x',
      summary: { first_message: 'hello', mcp_connect: [], custom: 1, step_count: 0 },
    });
  });
});

describe('tracer: step numbers', () => {
  it('numbers come from a per-run counter and sync up to stored numbers after a collision', async () => {
    const { tracer, memory, exporter, flush, clock } = setup();
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    await flush();
    // Another process (its own service, its own counter) already took numbers 1 and 2.
    const other = new DebugService({ exporter, clock });
    await other.createStep({ runId: run.id, chatId: CHAT, stepNumber: 1, operation: 'generate' });
    await other.createStep({ runId: run.id, chatId: CHAT, stepNumber: 2, operation: 'generate' });
    const step = run.startStep();
    expect(step.stepNumber).toBe(1);
    await flush();
    expect(step.stepNumber).toBe(3);
    const next = run.startStep();
    expect(next.stepNumber).toBe(4);
    run.end();
    await flush();
    expect(memory.steps().map((s) => s.stepNumber)).toEqual([1, 2, 3, 4]);
    expect(tracer.service.stepCounter.peek(run.id)).toBe(0);
  });
});

describe('tracer: bad input', () => {
  it('strict mode throws typed errors at the boundary', () => {
    const { tracer } = setup();
    expect(() => tracer.startRun({ chatId: 'not-a-uuid', kind: 'chat_turn' })).toThrow(InvalidArgumentError);
    expect(() => tracer.startRun({ chatId: CHAT, kind: 'Bad Kind' })).toThrow(/invalid run kind/);
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    expect(() => run.startStep({ operation: 'poll' as never })).toThrow(/unknown operation/);
    expect(() => run.end({ status: 'done' as never })).toThrow(/unknown status/);
  });

  it('outside strict mode bad input becomes a no-op span, a warning and a counter, never a throw', async () => {
    const { tracer, memory, flush, lines } = setup({ tracer: { strict: false } });
    const run = tracer.startRun({ chatId: 'nope', kind: 'chat_turn' });
    expect(run.isRecording).toBe(false);
    const good = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    const step = good.startStep({ historyTipMessageId: -1 });
    expect(step.isRecording).toBe(false);
    good.recordOutcome('nope' as never);
    good.end();
    await flush();
    expect(tracer.stats().invalidInput).toBe(3);
    expect(lines.filter((l) => l.level === 'warn' && l.message.includes('invalid input'))).toHaveLength(3);
    expect(memory.runs()).toHaveLength(1);
  });

  it('payloads that cannot be JSON (circular, BigInt, NUL) are stored bounded and marked, not lost', async () => {
    const { tracer, memory, flush } = setup();
    const circular: Record<string, unknown> = { id: 10n, text: 'a\u0000b' };
    circular.self = circular;
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    run.startStep({ request: circular }).end({ response: { big: 'x'.repeat(2_000_000) } });
    run.end();
    await flush();
    const [step] = memory.steps();
    expect(step?.normalizedRequest).toEqual({ id: '10', text: 'a\uFFFDb', self: '[Circular]' });
    expect(step?.normalizedResponse).toMatchObject({ truncated: true });
    expect(step?.status).toBe('completed');
  });
});

describe('tracer: persistence failures never reach the caller', () => {
  it('a failing exporter is counted and logged; later writes of a lost run are dropped as orphans', async () => {
    const { tracer, exporter, flush, lines } = setup();
    exporter.failNext(1, Object.assign(new Error('permission denied'), { code: '42501' }));
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    const step = run.startStep();
    step.end();
    run.end();
    await flush();
    const stats = tracer.stats().pipeline;
    expect(stats.failed).toBe(1);
    expect(stats.dropped.orphaned).toBe(3);
    expect(stats.enqueued).toBe(stats.written + stats.failed + stats.dropped.orphaned + stats.dropped.queueFull + stats.dropped.shutdown + stats.pending);
    expect(lines.some((l) => l.level === 'warn' && l.message.includes('export failed'))).toBe(true);
  });

  it('the step counter of a run is released when the run ends, even when nothing of the run was written', async () => {
    const { tracer, exporter, service, flush } = setup();
    for (let i = 0; i < 5; i++) {
      exporter.failNext(1, Object.assign(new Error('permission denied'), { code: '42501' }));
      const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
      run.startStep().end();
      run.end();
      await flush();
    }
    expect(tracer.stats().pipeline.dropped.orphaned).toBe(15);
    expect(service.stepCounter.size).toBe(0);
    const { tracer: full, service: fullService } = setup({ tracer: { pipeline: { maxQueueSize: 1 } } });
    const run = full.startRun({ chatId: CHAT, kind: 'chat_turn' });
    run.startStep().end();
    run.end();
    expect(full.stats().pipeline.dropped.queueFull).toBe(3);
    expect(fullService.stepCounter.size).toBe(0);
  });

  it('transient errors are retried with backoff on the clock and then succeed', async () => {
    const { tracer, exporter, memory, flush } = setup();
    exporter.failNext(3);
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    run.end();
    await flush();
    expect(tracer.stats().pipeline).toMatchObject({ written: 2, failed: 0, retried: 3 });
    expect(memory.runs()[0]?.status).toBe('completed');
  });

  it('a step on a finalized run is rejected by the guard and counted, not thrown', async () => {
    const { tracer, service, memory, flush } = setup();
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    await flush();
    await service.updateRun({ id: run.id, chatId: CHAT, status: 'interrupted' });
    const step = run.startStep();
    step.end();
    await flush();
    expect(memory.steps()).toHaveLength(0);
    expect(tracer.stats().pipeline).toMatchObject({ failed: 1, dropped: { orphaned: 1 } });
  });
});

describe('tracer: lifecycle', () => {
  it('shutdown flushes, stops heartbeats, then refuses writes (counted) and hands out no-ops', async () => {
    const { tracer, memory, clock } = setup();
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    run.startStep();
    const result = await tracer.shutdown();
    expect(result.timedOut).toBe(false);
    expect(memory.runs()).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
    expect(tracer.startRun({ chatId: CHAT, kind: 'chat_turn' }).isRecording).toBe(false);
    run.end();
    expect(tracer.stats().pipeline.dropped.shutdown).toBeGreaterThan(0);
    expect(await tracer.shutdown()).toBe(result);
  });

  it('forceFlush never rejects and reports a timeout when the exporter hangs', async () => {
    const { tracer, exporter, clock } = setup();
    exporter.delay(60_000, clock);
    tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    const flushing = tracer.forceFlush(1_000);
    await clock.advanceAsync(1_000);
    const result = await flushing;
    expect(result.timedOut).toBe(true);
    expect(result.pending).toBe(1);
  });

  it('the queue is bounded: past maxQueueSize writes are dropped and counted exactly', async () => {
    const { tracer, flush } = setup({ tracer: { pipeline: { maxQueueSize: 5 } } });
    for (let i = 0; i < 10; i++) tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    await flush();
    const stats = tracer.stats().pipeline;
    expect(stats).toMatchObject({ enqueued: 10, written: 5, dropped: { queueFull: 5 } });
  });

  it('createTracer builds the service from one options bag', () => {
    const tracer = createTracer({ exporter: new MemoryExporter(), staleAfterMillis: 42_000 });
    expect(tracer).toBeInstanceOf(Tracer);
    expect(tracer.service.staleAfterMillis).toBe(42_000);
  });
});

describe('tracer: explicit times', () => {
  it('startTime and endTime on runs and steps record work after the fact; listeners see the run error', async () => {
    const { tracer, memory, flush } = setup();
    const events: unknown[] = [];
    tracer.addListener({ onRunEnd: (_run, event) => void events.push(event) });
    const t0 = new Date('2026-02-01T10:00:00Z');
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn', startTime: t0 });
    const step = run.startStep({ startTime: new Date(t0.getTime() + 100) });
    step.end({ endTime: new Date(t0.getTime() + 900) });
    run.end({ error: new Error('boom'), endTime: new Date(t0.getTime() + 1_000) });
    await flush();
    expect(memory.runs()[0]).toMatchObject({ startedAt: t0, finishedAt: new Date(t0.getTime() + 1_000), status: 'error' });
    expect(memory.steps()[0]).toMatchObject({ startedAt: new Date(t0.getTime() + 100), finishedAt: new Date(t0.getTime() + 900) });
    expect(events).toEqual([{ status: 'error', endTime: new Date(t0.getTime() + 1_000), error: { message: 'boom', type: 'Error' } }]);
  });
});

describe('tracer: call finalization (§6.3, §7 items 41, 43)', () => {
  it('a successful call stores response, usage and its attempts, with no error or metadata, completed at the clock time (item 41)', async () => {
    const { tracer, memory, flush, clock } = setup();
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, () =>
      tracer.traceCall({ result: (text: string) => ({ response: { content: [{ type: 'text', text }] }, usage }) }, async (step) => {
        clock.advance(25);
        step.recordAttempt({ number: step.nextAttemptNumber(), status: 'completed', method: 'POST', url: 'https://api.example.com/v1/x', path: '/v1/x', started_at: '', finished_at: '', response_status: 201, duration_ms: 25 });
        return 'hi';
      }),
    );
    await flush();
    expect(memory.steps()[0]).toEqual(
      expect.objectContaining({
        status: 'completed',
        normalizedResponse: { content: [{ type: 'text', text: 'hi' }] },
        usage,
        attempts: [expect.objectContaining({ number: 1, status: 'completed', response_status: 201 })],
        error: null,
        metadata: {},
        finishedAt: clock.now(),
      }),
    );
  });

  it('a failing call keeps the attempts made before the failure (item 43)', async () => {
    const { tracer, memory, flush } = setup();
    await expect(
      tracer.run({ chatId: CHAT, kind: 'chat_turn' }, () =>
        tracer.traceCall({}, async (step) => {
          step.recordAttempt({ number: step.nextAttemptNumber(), status: 'failed', method: 'POST', url: 'u', path: '/v1/x', started_at: '', finished_at: '', response_status: 500, duration_ms: 3 });
          throw new Error('500 Internal Server Error');
        }),
      ),
    ).rejects.toThrow('500');
    await flush();
    expect(memory.steps()[0]).toMatchObject({ status: 'error', error: { message: '500 Internal Server Error', type: 'Error' }, attempts: [{ status: 'failed', response_status: 500 }] });
  });

  it('a result extractor that throws is logged; the step still completes and the caller gets the result', async () => {
    const { tracer, memory, flush, lines } = setup();
    const result = await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, () =>
      tracer.traceCall(
        {
          result: () => {
            throw new Error('bad extractor');
          },
        },
        async () => 'value',
      ),
    );
    await flush();
    expect(result).toBe('value');
    expect(memory.steps()[0]).toMatchObject({ status: 'completed', normalizedResponse: null, error: null });
    expect(lines.some((line) => line.level === 'warn' && line.message.includes('result extractor threw'))).toBe(true);
  });

  it('an error extractor that throws falls back to the normalized error; the original error reaches the caller', async () => {
    const { tracer, memory, flush, lines } = setup();
    const original = new Error('rate limited');
    const thrown = await tracer
      .run({ chatId: CHAT, kind: 'chat_turn' }, () =>
        tracer.traceCall(
          {
            error: () => {
              throw new Error('bad error extractor');
            },
          },
          async () => Promise.reject(original),
        ),
      )
      .catch((error: unknown) => error);
    await flush();
    expect(thrown).toBe(original);
    expect(memory.steps()[0]).toMatchObject({ status: 'error', error: { message: 'rate limited', type: 'Error' } });
    expect(lines.some((line) => line.level === 'warn' && line.message.includes('error extractor threw'))).toBe(true);
  });
});

describe('tracer: labels (§4, §7 items 26–27)', () => {
  it('the label is collapsed and bounded to 200 code points with a trailing ellipsis', async () => {
    const { tracer, memory, flush } = setup();
    tracer.startRun({ chatId: CHAT, kind: 'chat_turn', label: `  ${'é '.repeat(150)}\n\n tail` }).end();
    await flush();
    const label = memory.runs()[0]?.summary.first_message as string;
    expect(Array.from(label)).toHaveLength(200);
    expect(label.endsWith('…')).toBe(true);
    expect(label.startsWith('é é é')).toBe(true);
    expect(label).not.toMatch(/\s{2}|\n/);
  });

  it('an empty or whitespace-only label seeds no first_message', async () => {
    const { tracer, memory, flush } = setup();
    tracer.startRun({ chatId: CHAT, kind: 'chat_turn', label: ' \n\t ' }).end();
    tracer.startRun({ chatId: CHAT, kind: 'chat_turn', label: '' }).end();
    await flush();
    for (const run of memory.runs()) expect(run.summary).toEqual({ step_count: 0, total_input_tokens: 0, total_output_tokens: 0 });
  });

  it('step.end and step.update check their input at the call: a bad field is left out, the rest is written', async () => {
    const { tracer, memory, flush, lines } = setup({ tracer: { strict: false } });
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    const step = run.startStep({});
    step.update({ assistantMessageId: -3 as never, response: { content: [{ type: 'text', text: 'partial' }] } });
    step.end({ status: 'done' as never, assistantMessageId: 1.5 as never, response: { content: [{ type: 'text', text: 'final' }] }, usage });
    run.end();
    await flush();
    expect(memory.steps()[0]).toMatchObject({
      status: 'completed',
      assistantMessageId: null,
      normalizedResponse: { content: [{ type: 'text', text: 'final' }] },
      usage,
    });
    expect(memory.steps()[0]?.finishedAt).not.toBeNull();
    expect(tracer.stats().invalidInput).toBe(3);
    expect(tracer.stats().pipeline.failed).toBe(0);
    expect(lines.filter((l) => l.level === 'warn' && l.message.includes('invalid input'))).toHaveLength(3);
  });

  it('strict mode: step.end and step.update throw InvalidArgumentError for a bad status or message id', () => {
    const { tracer } = setup();
    const step = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' }).startStep({});
    expect(() => step.update({ assistantMessageId: -1 })).toThrow(InvalidArgumentError);
    expect(() => step.end({ status: 'done' as never })).toThrow(/unknown status/);
  });

  it('a span cannot end in_progress: the status is refused and the span ends with its implied outcome', async () => {
    const { tracer, memory, flush } = setup({ tracer: { strict: false } });
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    run.startStep({}).end({ status: 'in_progress' });
    run.end({ status: 'in_progress' });
    await flush();
    expect(memory.steps()[0]).toMatchObject({ status: 'completed' });
    expect(memory.runs()[0]).toMatchObject({ status: 'completed' });
    expect(tracer.stats().invalidInput).toBe(2);
    const strict = setup().tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    expect(() => strict.end({ status: 'in_progress' })).toThrow(/not in_progress/);
    expect(() => strict.startStep({}).end({ status: 'in_progress' })).toThrow(InvalidArgumentError);
  });

  it('step.end({ error }) classifies the error: a cancellation or deadline is interrupted, anything else error', async () => {
    const { tracer, memory, flush } = setup();
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    run.startStep({}).end({ error: new DOMException('stopped', 'AbortError') });
    run.startStep({}).end({ error: new DOMException('late', 'TimeoutError') });
    run.startStep({}).end({ error: new Error('boom') });
    run.end();
    await flush();
    expect(memory.steps().map((s) => s.status)).toEqual(['interrupted', 'interrupted', 'error']);
  });

  it('update() after end() is refused and counted: the final write stays the record', async () => {
    const { tracer, memory, flush } = setup();
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    const step = run.startStep({});
    step.end({ response: { content: [{ type: 'text', text: 'done' }] } });
    step.update({ response: { text: 'late overwrite' }, error: { message: 'late' } });
    run.end();
    await flush();
    expect(memory.steps()[0]).toMatchObject({ status: 'completed', error: null, normalizedResponse: { content: [{ type: 'text', text: 'done' }] } });
    expect(tracer.stats().afterEnd).toBe(1);
  });

  it('unreadable payloads and a non-string label never throw into the caller', async () => {
    const { tracer, memory, flush } = setup({ tracer: { strict: false } });
    const hostile = new Proxy({}, { ownKeys: () => { throw new Error('trap'); } });
    const unlabelled = tracer.startRun({ chatId: CHAT, kind: 'chat_turn', label: 42 as never });
    expect(unlabelled.isRecording).toBe(true);
    unlabelled.end();
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn', summary: hostile as never });
    const step = run.startStep({ request: hostile });
    step.update({ metadata: hostile as never });
    step.end({ response: hostile, error: hostile, usage });
    run.end();
    await flush();
    expect(memory.runs().map((r) => r.summary.first_message)).toEqual([undefined, undefined]);
    expect(memory.steps()[0]).toMatchObject({
      status: 'error',
      normalizedRequest: {},
      normalizedResponse: null,
      error: { message: 'the error could not be read', type: 'unreadable' },
      usage,
    });
    expect(tracer.stats().invalidInput).toBe(6);
    expect(() => setup().tracer.startRun({ chatId: CHAT, kind: 'chat_turn', label: 42 as never })).toThrow(InvalidArgumentError);
  });

  it('an error whose properties cannot be read still ends the step as an error, and never throws', async () => {
    const { tracer, memory, flush } = setup({ tracer: { strict: false } });
    const trap = (): never => {
      throw new Error('get trap');
    };
    const unreadable = new Proxy({}, { get: trap, ownKeys: trap, getPrototypeOf: trap });
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    const step = run.startStep({});
    expect(() => step.update({ error: unreadable })).not.toThrow();
    expect(() => step.end({ error: unreadable })).not.toThrow();
    run.end();
    await flush();
    expect(memory.steps()[0]).toMatchObject({ status: 'error', error: { message: 'the error could not be read', type: 'unreadable' } });
  });

  it('a step reused for a retry takes updates while the retry is in flight, and none after', async () => {
    const { tracer, memory, flush } = setup();
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    const step = run.startStep({});
    await expect(tracer.traceCall({ run, step }, async () => Promise.reject(new Error('429')))).rejects.toThrow();
    await tracer.traceCall({ run, step, result: () => ({ usage }) }, async (inFlight) => {
      inFlight.update({ metadata: { attempt: 2 } });
      return 'ok';
    });
    step.update({ metadata: { attempt: 3 } });
    run.end();
    await flush();
    expect(memory.steps()[0]).toMatchObject({ status: 'completed', error: null, metadata: { attempt: 2 }, usage });
    expect(tracer.stats().afterEnd).toBe(1);
  });
});
