import type { Logger } from '../logger/logger.js';
import { describeError } from '../logger/logger.js';
import type { StepRecord } from '../model/records.js';
import type {
  CreateRunParams,
  CreateStepParams,
  DebugService,
  FinalizeRunParams,
  UpdateRunParams,
  UpdateStepParams,
} from '../service/debug-service.js';
import type { RetryOptions, ResolvedRetryOptions } from './retry.js';
import { resolveRetryOptions, retryWithBackoff } from './retry.js';
import { isTransientError } from './transient-error.js';

/** A write produced by a span, applied later through the service. */
export type ExportOperation =
  | { readonly type: 'createRun'; readonly runId: string; readonly params: CreateRunParams }
  | { readonly type: 'updateRun'; readonly runId: string; readonly params: UpdateRunParams }
  | { readonly type: 'finalizeRun'; readonly runId: string; readonly params: FinalizeRunParams }
  | {
      readonly type: 'createStep';
      readonly runId: string;
      readonly stepId: string;
      readonly params: CreateStepParams;
      readonly onStored?: (step: StepRecord) => void;
    }
  | { readonly type: 'updateStep'; readonly runId: string; readonly stepId: string; readonly params: UpdateStepParams }
  | {
      readonly type: 'touchStep';
      readonly runId: string;
      readonly stepId: string;
      readonly params: { stepId: string; runId: string; chatId: string; at: Date };
    }
  | { readonly type: 'touchRun'; readonly runId: string; readonly params: { runId: string; chatId: string; at: Date } };

/** Options of the export pipeline. */
export interface ExportPipelineOptions {
  /**
   * Most operations waiting to be written; past it new operations are dropped and counted.
   * @defaultValue 10_000
   */
  maxQueueSize?: number;
  /**
   * Runs written in parallel (operations of one run are always written in order).
   * @defaultValue 4
   */
  concurrency?: number;
  /** Retry bounds for transient exporter errors. */
  retry?: RetryOptions;
  /** @defaultValue 30_000 */
  flushTimeoutMillis?: number;
  /** @defaultValue 30_000 */
  shutdownTimeoutMillis?: number;
}

/** Counters of the pipeline since it started. `enqueued = written + failed + dropped + pending`. */
export interface PipelineStats {
  enqueued: number;
  written: number;
  /** Operations that failed for good (after retries, or with a final error). */
  failed: number;
  /** Retries of transient errors (not operations). */
  retried: number;
  dropped: {
    /** The queue was full. */
    queueFull: number;
    /** Their run or step could not be created, so they had nothing to apply to. */
    orphaned: number;
    /** Still queued when shutdown gave up, or produced after shutdown. */
    shutdown: number;
  };
  pending: number;
}

/** Result of a flush. */
export interface FlushResult {
  /** True when the deadline passed before everything queued at the call was written. */
  timedOut: boolean;
  /** Operations still waiting when the flush returned. */
  pending: number;
  stats: PipelineStats;
}

interface QueuedOperation {
  op: ExportOperation;
  seq: number;
}

interface Lane {
  ops: QueuedOperation[];
  head: number;
  running: boolean;
}

interface FlushWaiter {
  target: number;
  remaining: number;
  resolve: () => void;
}

/**
 * Takes the writes spans produce and applies them through the service off the caller's path:
 * bounded, in order per run (runs spread over `concurrency` lanes), transient errors retried with
 * backoff on the service's clock, everything else counted and logged, never thrown.
 */
export class ExportPipeline {
  readonly #service: DebugService;
  readonly #logger: Logger;
  readonly #maxQueueSize: number;
  readonly #retry: ResolvedRetryOptions;
  readonly #flushTimeoutMillis: number;
  readonly #shutdownTimeoutMillis: number;
  readonly #lanes: Lane[];
  readonly #waiters = new Set<FlushWaiter>();
  readonly #lostRuns = new Set<string>();
  readonly #lostSteps = new Map<string, string>();
  readonly #lastWarning = new Map<string, number>();
  #pending = 0;
  #seq = 0;
  #closed = false;
  #shutdownPromise: Promise<FlushResult> | undefined;
  readonly #stats = { enqueued: 0, written: 0, failed: 0, retried: 0, queueFull: 0, orphaned: 0, shutdown: 0 };

  constructor(service: DebugService, options: ExportPipelineOptions = {}) {
    this.#service = service;
    this.#logger = service.logger;
    this.#maxQueueSize = options.maxQueueSize ?? 10_000;
    this.#retry = resolveRetryOptions(options.retry);
    this.#flushTimeoutMillis = options.flushTimeoutMillis ?? 30_000;
    this.#shutdownTimeoutMillis = options.shutdownTimeoutMillis ?? 30_000;
    const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
    this.#lanes = Array.from({ length: concurrency }, () => ({ ops: [], head: 0, running: false }));
  }

  /** Queues one write. Returns false (and counts it) when the queue is full or shut down. Never throws. */
  enqueue(op: ExportOperation): boolean {
    this.#stats.enqueued++;
    if (this.#closed) {
      this.#stats.shutdown++;
      this.#warnRateLimited('shutdown', 'write after shutdown dropped', { type: op.type });
      this.#discarded(op);
      return false;
    }
    if (this.#pending >= this.#maxQueueSize) {
      this.#stats.queueFull++;
      this.#warnRateLimited('queue_full', 'export queue full; write dropped', { type: op.type, max_queue_size: this.#maxQueueSize });
      this.#discarded(op);
      return false;
    }
    const lane = this.#lanes[laneIndex(op.runId, this.#lanes.length)] as Lane;
    lane.ops.push({ op, seq: ++this.#seq });
    this.#pending++;
    if (!lane.running) {
      lane.running = true;
      setImmediate(() => void this.#drain(lane));
    }
    return true;
  }

  /** A snapshot of the counters. */
  stats(): PipelineStats {
    const s = this.#stats;
    return {
      enqueued: s.enqueued,
      written: s.written,
      failed: s.failed,
      retried: s.retried,
      dropped: { queueFull: s.queueFull, orphaned: s.orphaned, shutdown: s.shutdown },
      pending: this.#pending,
    };
  }

  /**
   * Waits until every operation queued before the call is written or given up on, or until the
   * deadline. Never rejects.
   */
  forceFlush(timeoutMillis: number = this.#flushTimeoutMillis): Promise<FlushResult> {
    if (this.#pending === 0) return Promise.resolve(this.#flushResult(false));
    return new Promise<FlushResult>((resolve) => {
      const clock = this.#service.clock;
      let settled = false;
      const waiter: FlushWaiter = {
        target: this.#seq,
        remaining: this.#pending,
        resolve: () => finish(false),
      };
      const timer = clock.setTimeout(() => finish(true), timeoutMillis);
      // The clock's timers let the process exit; a deadline someone awaits must not: with the
      // database down nothing else may keep the process alive, and the awaited flush (or
      // shutdown) would never return.
      timer.ref?.();
      const finish = (timedOut: boolean) => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve(this.#flushResult(timedOut));
      };
      this.#waiters.add(waiter);
    });
  }

  /**
   * Flushes, then refuses further writes (counted as dropped). What is still queued when the
   * deadline passes is dropped and counted. Runs once; later calls return the first result.
   */
  shutdown(timeoutMillis: number = this.#shutdownTimeoutMillis): Promise<FlushResult> {
    this.#shutdownPromise ??= (async () => {
      const result = await this.forceFlush(timeoutMillis);
      this.#closed = true;
      for (const lane of this.#lanes) {
        const left = lane.ops.length - lane.head;
        if (left > 0) {
          this.#stats.shutdown += left;
          this.#pending -= left;
          for (let i = lane.head; i < lane.ops.length; i++) this.#discarded((lane.ops[i] as QueuedOperation).op);
          lane.ops = [];
          lane.head = 0;
        }
      }
      for (const waiter of [...this.#waiters]) waiter.resolve();
      if (result.timedOut) this.#logger.warn('shutdown deadline passed; unwritten operations dropped', { dropped: this.#stats.shutdown });
      // What was just dropped is no longer pending; reporting both would count it twice.
      return { ...result, pending: this.#pending, stats: this.stats() };
    })();
    return this.#shutdownPromise;
  }

  /** True once shutdown started. */
  get closed(): boolean {
    return this.#closed || this.#shutdownPromise !== undefined;
  }

  #flushResult(timedOut: boolean): FlushResult {
    return { timedOut, pending: this.#pending, stats: this.stats() };
  }

  async #drain(lane: Lane): Promise<void> {
    while (lane.head < lane.ops.length) {
      const queued = lane.ops[lane.head] as QueuedOperation;
      lane.ops[lane.head] = undefined as unknown as QueuedOperation;
      lane.head++;
      if (lane.head > 1024 && lane.head * 2 > lane.ops.length) {
        lane.ops = lane.ops.slice(lane.head);
        lane.head = 0;
      }
      await this.#process(queued.op);
      this.#pending--;
      for (const waiter of this.#waiters) {
        if (queued.seq <= waiter.target && --waiter.remaining <= 0) waiter.resolve();
      }
    }
    lane.ops = [];
    lane.head = 0;
    lane.running = false;
  }

  async #process(op: ExportOperation): Promise<void> {
    if (this.#isOrphan(op)) {
      this.#stats.orphaned++;
      if (op.type === 'finalizeRun') this.#forgetRun(op.runId);
      return;
    }
    let attempts = 0;
    try {
      await retryWithBackoff(this.#service.clock, this.#retry, () => this.#apply(op, attempts++ > 0), {
        shouldRetry: isTransientError,
        isCancelled: () => this.#closed,
        onRetry: (error, attempt, delay) => {
          this.#stats.retried++;
          this.#logger.debug('retrying export', { type: op.type, attempt, delay_ms: delay, error: describeError(error) });
        },
      });
      this.#stats.written++;
    } catch (error) {
      this.#stats.failed++;
      if (op.type === 'createRun') this.#lostRuns.add(op.runId);
      if (op.type === 'createStep') this.#lostSteps.set(op.stepId, op.runId);
      this.#warnRateLimited(`failed:${op.type}`, 'export failed; operation dropped', {
        type: op.type,
        run_id: op.runId,
        error: describeError(error),
      });
    }
    if (op.type === 'finalizeRun') this.#forgetRun(op.runId);
  }

  #isOrphan(op: ExportOperation): boolean {
    if (this.#lostRuns.has(op.runId)) return true;
    return 'stepId' in op && op.type !== 'createStep' && this.#lostSteps.has(op.stepId);
  }

  /** A write that will never be applied: a run's end still releases what the run held. */
  #discarded(op: ExportOperation): void {
    if (op.type === 'finalizeRun') this.#forgetRun(op.runId);
  }

  /** The run ended (written or not): nothing of it is needed any more, its step counter neither. */
  #forgetRun(runId: string): void {
    this.#service.stepCounter.drop(runId);
    this.#lostRuns.delete(runId);
    for (const [stepId, owner] of this.#lostSteps) if (owner === runId) this.#lostSteps.delete(stepId);
  }

  /**
   * Applies one operation. `retrying` means an earlier attempt failed with a transient error, so
   * it may have committed before its answer was lost (a connection killed or hung after the
   * commit): a create that now fails for good is checked against what is stored, and counts as
   * written when its row is there. Updates and touches are idempotent and need no check.
   */
  async #apply(op: ExportOperation, retrying: boolean): Promise<void> {
    const service = this.#service;
    switch (op.type) {
      case 'createRun':
        try {
          await service.createRun(op.params);
        } catch (error) {
          if (!retrying || isTransientError(error) || !(await this.#runStored(op))) throw error;
        }
        return;
      case 'createStep': {
        let step: StepRecord | undefined;
        try {
          step = await service.createStep(op.params);
        } catch (error) {
          if (!retrying || isTransientError(error)) throw error;
          step = await this.#storedStep(op);
          if (!step) throw error;
          service.stepCounter.sync(op.runId, step.stepNumber);
        }
        op.onStored?.(step);
        return;
      }
      case 'updateRun':
        await service.updateRun(op.params);
        return;
      case 'finalizeRun':
        await service.finalizeRun(op.params);
        return;
      case 'updateStep':
        await service.updateStep(op.params);
        return;
      case 'touchStep':
        await service.touchStep(op.params);
        return;
      case 'touchRun':
        await service.touchRun(op.params);
        return;
    }
  }

  /** True when the run of a retried `createRun` is stored: same id, chat, kind and (when given) start. */
  async #runStored(op: Extract<ExportOperation, { type: 'createRun' }>): Promise<boolean> {
    const run = await this.#service.exporter.getRun(op.runId);
    const { chatId, kind, at } = op.params;
    return run !== undefined && run.chatId === chatId && run.kind === kind && (at === undefined || run.startedAt.getTime() === at.getTime());
  }

  /** The stored step of a retried `createStep`: same id, run, chat and (when given) start. */
  async #storedStep(op: Extract<ExportOperation, { type: 'createStep' }>): Promise<StepRecord | undefined> {
    const { chatId, at } = op.params;
    const steps = await this.#service.listSteps(op.runId);
    return steps.find((step) => step.id === op.stepId && step.chatId === chatId && (at === undefined || step.startedAt.getTime() === at.getTime()));
  }

  #warnRateLimited(key: string, message: string, attributes: Record<string, unknown>): void {
    const now = this.#service.clock.nowMillis();
    const last = this.#lastWarning.get(key);
    if (last !== undefined && now - last < 5_000) return;
    this.#lastWarning.set(key, now);
    this.#logger.warn(message, { ...attributes, stats: this.stats() });
  }
}

function laneIndex(runId: string, lanes: number): number {
  if (lanes === 1) return 0;
  // UUIDv7's tail is random: its last hex digits spread runs evenly.
  return Number.parseInt(runId.slice(-4), 16) % lanes || 0;
}
