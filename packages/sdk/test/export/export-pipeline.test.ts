import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CreateTracerOptions, ExportPipelineOptions, RunRecord, StepInsertResult, StepRecord, Tracer } from '@chatdebug/sdk';
import { ChatDebugError, createTracer, isTransientError } from '@chatdebug/sdk';
import type { ExporterCall, RecordedExporterCall } from '@chatdebug/testing';
import { FaultInjectingExporter, MemoryExporter, MockClock, MockTimerHandle } from '@chatdebug/testing';
import type { CapturedLog } from '../support/tracing.js';
import { CHAT, capturingLogger } from '../support/tracing.js';

const OTHER_CHAT = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c';

/** What node-postgres rejects with when `query_timeout` fires: a plain Error without a code. */
function queryReadTimeout(): Error {
  return new Error('Query read timeout');
}

function permissionDenied(): Error {
  return Object.assign(new Error('permission denied for table chat_debug_runs'), { code: '42501' });
}

/**
 * Commits the write, then loses the reply: the database stored the row but the client saw a
 * transient error (a `query_timeout` firing after the commit), so the pipeline retries a create
 * that already happened.
 */
class LostReplyExporter extends MemoryExporter {
  readonly #lose = new Set<string>();

  /** The next insert of this run or step id is stored, then reported as failed. */
  loseReplyOf(id: string): this {
    this.#lose.add(id);
    return this;
  }

  override async insertRun(run: RunRecord): Promise<RunRecord> {
    const stored = await super.insertRun(run);
    if (this.#lose.delete(run.id)) throw queryReadTimeout();
    return stored;
  }

  override async insertStep(step: StepRecord): Promise<StepInsertResult> {
    const result = await super.insertStep(step);
    if (this.#lose.delete(step.id)) throw queryReadTimeout();
    return result;
  }
}

/** Never answers, like a database behind a dead connection with no socket timeout. */
class HungExporter extends MemoryExporter {
  override insertRun(): Promise<RunRecord> {
    return new Promise<RunRecord>(() => {});
  }
}

/** A MockClock that remembers the delay each timeout was armed with. */
class RecordingClock extends MockClock {
  readonly armed = new Map<MockTimerHandle, number>();

  override setTimeout(callback: () => void, millis: number): MockTimerHandle {
    const handle = super.setTimeout(callback, millis);
    this.armed.set(handle, millis);
    return handle;
  }
}

interface Harness {
  clock: RecordingClock;
  memory: MemoryExporter;
  exporter: FaultInjectingExporter;
  tracer: Tracer;
  lines: CapturedLog[];
}

function setup(options: { pipeline?: ExportPipelineOptions; inner?: MemoryExporter; service?: Partial<CreateTracerOptions> } = {}): Harness {
  const clock = new RecordingClock(new Date('2026-03-01T12:00:00Z'));
  const memory = options.inner ?? new MemoryExporter();
  const exporter = new FaultInjectingExporter(memory);
  const { logger, lines } = capturingLogger();
  const tracer = createTracer({ exporter, clock, logger, strict: true, pipeline: options.pipeline, ...options.service });
  return { clock, memory, exporter, tracer, lines };
}

/**
 * Lets the pipeline run on the real event loop and, only when it is parked on a mock timer (a
 * retry backoff), moves mock time straight to that timer, so backoffs elapse exactly.
 */
async function drain({ tracer, clock }: Harness): Promise<void> {
  for (let i = 0; i < 200; i++) {
    await clock.settle();
    if (tracer.stats().pipeline.pending === 0) return;
    const next = clock.nextDueMillis;
    if (next === undefined) throw new Error('pipeline stuck with no timer to advance to');
    await clock.advanceAsync(next - clock.nowMillis());
  }
  throw new Error('pipeline did not drain');
}

function expectBalanced(tracer: Tracer): void {
  const s = tracer.stats().pipeline;
  expect(s.enqueued).toBe(s.written + s.failed + s.dropped.queueFull + s.dropped.orphaned + s.dropped.shutdown + s.pending);
}

/** The run a logged exporter call belongs to (steps are mapped through their ids). */
function runOf(call: ExporterCall, stepRuns: Map<string, string>): string | undefined {
  switch (call.method) {
    case 'insertRun':
      return call.args[0].id;
    case 'updateRun':
      return call.args[0].id;
    case 'insertStep':
      return call.args[0].runId;
    case 'updateStep':
      return stepRuns.get(call.args[0].id);
    default:
      return undefined;
  }
}

function warnings(lines: CapturedLog[], text: string): CapturedLog[] {
  return lines.filter((line) => line.level === 'warn' && line.message.includes(text));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('export pipeline: order and retries', () => {
  it('keeps each run’s writes in order while some of them are being retried', async () => {
    const h = setup({ pipeline: { concurrency: 2, retry: { minDelayMillis: 100, maxDelayMillis: 400 } } });
    const { tracer, exporter, memory } = h;
    const runs = Array.from({ length: 4 }, () => tracer.startRun({ chatId: CHAT, kind: 'chat_turn', heartbeat: false }));
    const [a, b, c, d] = runs.map((run) => run.id) as [string, string, string, string];
    exporter
      .failMatching((call) => call.method === 'insertRun' && call.args[0].id === a, undefined, 2)
      .failMatching((call) => call.method === 'insertStep' && call.args[0].runId === b, undefined, 1)
      .failMatching((call) => call.method === 'updateRun' && (call.args[0].id === c || call.args[0].id === d), undefined, 2);
    const stepRuns = new Map<string, string>();
    for (const run of runs) {
      const step = run.startStep({ heartbeat: false });
      stepRuns.set(step.id, run.id);
      step.end({ usage: { input_tokens: 1 } });
      run.end();
    }

    await drain(h);

    const expected = ['insertRun', 'insertStep', 'updateStep', 'updateRun'];
    for (const run of runs) {
      const own = exporter.calls.filter((call) => runOf(call, stepRuns) === run.id);
      // Every attempt, failed or not, in log order: a retry repeats its write in place and
      // nothing of the run overtakes it.
      const stages = own.map((call) => call.method).filter((method, i, all) => method !== all[i - 1]);
      expect(stages).toEqual(expected);
      expect(own.filter((call) => call.outcome === 'ok').map((call) => call.method)).toEqual(expected);
    }
    expect(exporter.calls.filter((call) => call.outcome === 'injected')).toHaveLength(5);
    expect(tracer.stats().pipeline).toMatchObject({ enqueued: 16, written: 16, failed: 0, retried: 5, pending: 0 });
    expect(memory.runs().map((run) => run.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(memory.steps().map((step) => step.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
  });

  it('retries a transient failure after a jittered, doubling, capped delay on the clock, then gives up and counts it', async () => {
    const h = setup({ pipeline: { retry: { retries: 4, minDelayMillis: 100, maxDelayMillis: 300 } } });
    const { tracer, exporter, clock, lines } = h;
    const attemptsAt: number[] = [];
    exporter.failMatching(
      (call) => call.method === 'insertRun',
      () => {
        attemptsAt.push(clock.nowMillis());
        return Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
      },
    );
    const start = clock.nowMillis();
    tracer.startRun({ chatId: CHAT, kind: 'chat_turn', heartbeat: false });

    await clock.settle();
    // Half the smallest delay is the floor of the jitter: nothing is retried before it.
    await clock.advanceAsync(49);
    expect(attemptsAt).toEqual([start]);

    await drain(h);

    expect(attemptsAt).toHaveLength(5);
    const gaps = attemptsAt.slice(1).map((at, i) => at - (attemptsAt[i] as number));
    const ceilings = [100, 200, 300, 300];
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(50);
      expect(gap).toBeLessThanOrEqual(ceilings[i] as number);
    });
    expect(tracer.stats().pipeline).toMatchObject({ written: 0, failed: 1, retried: 4, pending: 0 });
    expect(warnings(lines, 'export failed')).toHaveLength(1);
  });

  it('starts no retry later than maxRetryMillis after the first attempt', async () => {
    const h = setup({ pipeline: { retry: { retries: 100, minDelayMillis: 400, maxDelayMillis: 400, maxRetryMillis: 1_000 } } });
    const { tracer, exporter, clock } = h;
    const attemptsAt: number[] = [];
    exporter.failMatching(
      (call) => call.method === 'insertRun',
      () => {
        attemptsAt.push(clock.nowMillis());
        return queryReadTimeout();
      },
    );
    // The largest delay every time makes the budget edge deterministic: attempts at 0, 400, 800,
    // and the next one, due at 1200, is past the budget.
    vi.spyOn(Math, 'random').mockReturnValue(1);
    tracer.startRun({ chatId: CHAT, kind: 'chat_turn', heartbeat: false });

    await drain(h);

    const first = attemptsAt[0] as number;
    expect(attemptsAt.map((at) => at - first)).toEqual([0, 400, 800]);
    expect(tracer.stats().pipeline).toMatchObject({ failed: 1, retried: 2 });
  });

  it('drops a non-transient failure at once: counted, logged, later writes of the run orphaned, nothing thrown', async () => {
    const h = setup();
    const { tracer, exporter, memory, lines } = h;
    exporter.failMatching((call) => call.method === 'insertRun', permissionDenied(), 1);
    const lost = tracer.startRun({ chatId: CHAT, kind: 'chat_turn', heartbeat: false });
    const kept = tracer.startRun({ chatId: CHAT, kind: 'chat_turn', heartbeat: false });
    expect(() => {
      lost.startStep({ heartbeat: false }).end();
      lost.end();
      kept.end();
    }).not.toThrow();

    await expect(tracer.forceFlush()).resolves.toMatchObject({ timedOut: false, pending: 0 });

    expect(exporter.callCount('insertRun')).toBe(2);
    expect(tracer.stats().pipeline).toMatchObject({ written: 2, failed: 1, retried: 0, dropped: { orphaned: 3 } });
    expectBalanced(tracer);
    expect(memory.runs().map((run) => run.id)).toEqual([kept.id]);
    const [warning] = warnings(lines, 'export failed; operation dropped');
    expect(warning?.attributes).toMatchObject({ type: 'createRun', run_id: lost.id, error: expect.stringContaining('42501') });
  });
});

describe('export pipeline: a create whose reply was lost after the commit', () => {
  it('counts a run and a step stored before their transient failure as written once, without duplicates', async () => {
    const inner = new LostReplyExporter();
    const h = setup({ inner });
    const { tracer, exporter, memory, lines } = h;
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn', heartbeat: false });
    inner.loseReplyOf(run.id);
    const first = run.startStep({ heartbeat: false });
    inner.loseReplyOf(first.id);
    first.end();
    const second = run.startStep({ heartbeat: false });
    second.end();
    run.end();

    await drain(h);

    // The retry met its own row (a unique violation) and the pipeline found it stored.
    const inserts = exporter.calls.filter((call) => call.method === 'insertRun' || call.method === 'insertStep');
    expect(inserts.map((call) => [call.method, call.outcome])).toEqual([
      ['insertRun', 'failed'],
      ['insertRun', 'failed'],
      ['insertStep', 'failed'],
      ['insertStep', 'failed'],
      ['insertStep', 'ok'],
    ]);
    expect((inserts[1] as RecordedExporterCall).error).toMatchObject({ code: '23505' });
    expect(tracer.stats().pipeline).toMatchObject({ enqueued: 6, written: 6, failed: 0, retried: 2, dropped: { orphaned: 0 } });
    expect(memory.runs()).toHaveLength(1);
    expect(memory.runs()[0]).toMatchObject({ id: run.id, status: 'completed', summary: { step_count: 2 } });
    expect(memory.steps().map((step) => [step.id, step.stepNumber, step.status])).toEqual([
      [first.id, 1, 'completed'],
      [second.id, 2, 'completed'],
    ]);
    expect(first.stepNumber).toBe(1);
    expect(warnings(lines, 'export failed')).toHaveLength(0);
  });

  it('still counts the create as failed when the row under that id is not the one it wrote', async () => {
    const h = setup();
    const { tracer, exporter, memory } = h;
    const other = tracer.startRun({ chatId: OTHER_CHAT, kind: 'chat_turn', heartbeat: false });
    await tracer.forceFlush();
    // The first attempt fails before the write, so the retry's unique violation is someone else's row.
    exporter.failMatching((call) => call.method === 'insertRun', queryReadTimeout(), 1);
    tracer.startRun({ chatId: CHAT, kind: 'chat_turn', id: other.id, heartbeat: false });

    await drain(h);

    expect(tracer.stats().pipeline).toMatchObject({ written: 1, failed: 1, retried: 1 });
    expect(memory.runs()).toHaveLength(1);
    expect(memory.runs()[0]?.chatId).toBe(OTHER_CHAT);
  });
});

describe('export pipeline: forceFlush', () => {
  it('resolves at once with the counters when nothing is queued', async () => {
    const { tracer, clock } = setup();
    await expect(tracer.forceFlush()).resolves.toEqual({ timedOut: false, pending: 0, stats: tracer.stats().pipeline });
    expect(clock.pendingTimers).toBe(0);
  });

  it('waits through a retry backoff, resolves when the queue drains, and reports the counts', async () => {
    const { tracer, exporter, clock } = setup({ pipeline: { retry: { minDelayMillis: 1_000, maxDelayMillis: 1_000 } } });
    const ref = vi.spyOn(MockTimerHandle.prototype, 'ref');
    exporter.failNext(1);
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn', heartbeat: false });
    run.startStep({ heartbeat: false }).end();
    run.end();

    let result: Awaited<ReturnType<Tracer['forceFlush']>> | undefined;
    const flushing = tracer.forceFlush(10_000).then((r) => (result = r));
    await clock.settle();
    expect(result).toBeUndefined();
    expect(tracer.stats().pipeline.pending).toBe(4);

    await clock.advanceAsync(1_000);
    await flushing;

    expect(result).toMatchObject({ timedOut: false, pending: 0, stats: { enqueued: 4, written: 4, failed: 0, retried: 1 } });
    // The deadline is what keeps a process awaiting the flush alive, and it is cleared as soon as
    // the flush is done so it does not hold the process for the rest of its 10 s.
    const deadlines = ref.mock.contexts.filter((handle) => clock.armed.get(handle as MockTimerHandle) === 10_000);
    expect(deadlines).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('waits only for what was queued before the call', async () => {
    const { tracer, exporter, clock } = setup();
    exporter.delay(500, clock);
    tracer.startRun({ chatId: CHAT, kind: 'chat_turn', heartbeat: false });
    const flushing = tracer.forceFlush();
    tracer.startRun({ chatId: CHAT, kind: 'chat_turn', heartbeat: false });

    await clock.advanceAsync(500);

    await expect(flushing).resolves.toMatchObject({ timedOut: false, pending: 1, stats: { written: 1 } });
  });
});

describe('export pipeline: shutdown', () => {
  it('returns at its deadline when the exporter never answers, with the queued work counted as dropped', async () => {
    const { tracer, clock, lines } = setup({ inner: new HungExporter() });
    const ref = vi.spyOn(MockTimerHandle.prototype, 'ref');
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn', heartbeat: false });
    run.update({ model: 'gpt-x' });
    run.end();

    let settled = false;
    const stopping = tracer.shutdown(5_000).finally(() => (settled = true));
    await clock.advanceAsync(4_999);
    expect(settled).toBe(false);
    await clock.advanceAsync(1);
    const result = await stopping;

    // The hung insert is still in flight: it may yet land, so it stays pending, not dropped.
    expect(result).toMatchObject({ timedOut: true, pending: 1, stats: { enqueued: 3, written: 0, dropped: { shutdown: 2 }, pending: 1 } });
    expect(ref.mock.contexts.filter((handle) => clock.armed.get(handle as MockTimerHandle) === 5_000)).toHaveLength(1);
    expect(warnings(lines, 'shutdown deadline passed')[0]?.attributes).toMatchObject({ dropped: 2 });
    expectBalanced(tracer);
  });

  it('refuses writes after shutdown: no-ops, counted, logged once, never thrown', async () => {
    const { tracer, memory, lines } = setup();
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn', heartbeat: false });
    const result = await tracer.shutdown();
    expect(result).toMatchObject({ timedOut: false, pending: 0, stats: { written: 1 } });

    expect(() => {
      run.update({ model: 'gpt-x' });
      run.startStep({ heartbeat: false }).end();
      run.end();
    }).not.toThrow();
    expect(tracer.startRun({ chatId: CHAT, kind: 'chat_turn' }).isRecording).toBe(false);

    expect(tracer.stats().pipeline).toMatchObject({ enqueued: 5, written: 1, dropped: { shutdown: 4 }, pending: 0 });
    expect(warnings(lines, 'write after shutdown')).toHaveLength(1);
    expect(memory.runs()[0]).toMatchObject({ status: 'in_progress', model: null });
    expect(memory.steps()).toHaveLength(0);
    expect(await tracer.shutdown()).toBe(result);
    await expect(tracer.forceFlush()).resolves.toMatchObject({ timedOut: false, pending: 0 });
  });
});

describe('export pipeline: queue cap', () => {
  it('drops exactly what does not fit, persists the rest, and accepts again once drained', async () => {
    const h = setup({ pipeline: { maxQueueSize: 5 } });
    const { tracer, memory, lines } = h;
    const produced = 12;
    for (let i = 0; i < produced; i++) tracer.startRun({ chatId: CHAT, kind: 'chat_turn', heartbeat: false });

    await drain(h);

    const stats = tracer.stats().pipeline;
    expect(memory.runs()).toHaveLength(5);
    expect(stats.dropped.queueFull).toBe(produced - memory.runs().length);
    expect(stats).toMatchObject({ enqueued: produced, written: 5, failed: 0, pending: 0 });
    // One warning per burst, not one per dropped write.
    expect(warnings(lines, 'export queue full')).toHaveLength(1);

    tracer.startRun({ chatId: CHAT, kind: 'chat_turn', heartbeat: false });
    await drain(h);
    expect(memory.runs()).toHaveLength(6);
    expect(tracer.stats().pipeline.dropped.queueFull).toBe(7);
  });
});

describe('export pipeline: transient error classification', () => {
  it('treats node-postgres’ query_timeout as transient, directly or as a cause', () => {
    expect(isTransientError(queryReadTimeout())).toBe(true);
    expect(isTransientError(new ChatDebugError('exporter_failed', 'insert run failed', { cause: queryReadTimeout() }))).toBe(true);
  });

  it('keeps final errors final', () => {
    expect(isTransientError(permissionDenied())).toBe(false);
    expect(isTransientError(Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }))).toBe(false);
    expect(isTransientError(new Error('syntax error at or near "SELEC"'))).toBe(false);
    expect(isTransientError('Query read timeout')).toBe(false);
  });

  it('retries a query read timeout through the pipeline', async () => {
    const h = setup();
    h.exporter.failMatching((call) => call.method === 'insertRun', queryReadTimeout(), 1);
    h.tracer.startRun({ chatId: CHAT, kind: 'chat_turn', heartbeat: false });

    await drain(h);

    expect(h.tracer.stats().pipeline).toMatchObject({ written: 1, failed: 0, retried: 1 });
    expect(h.memory.runs()).toHaveLength(1);
  });
});
