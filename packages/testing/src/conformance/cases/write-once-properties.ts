import type { RunRecord, Status, StepRecord } from '@chatdebug/sdk';
import { isTerminalStatus } from '@chatdebug/sdk';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext, ContextAccessor } from '../context.js';

/**
 * Fixed seeds, one sequence each. A failing sequence names its seed in the test name and replays
 * exactly on its own: `npx vitest run <conformance test file> -t "seed 1013:"`.
 */
const SEEDS: readonly number[] = Array.from({ length: 30 }, (_, i) => 1_001 + 12 * i);
/** Operations per sequence. */
const OPERATIONS = 40;
/** Stale threshold of the sequences: small enough that random clock moves cross it often. */
const STALE_AFTER_MILLIS = 10_000;
/** New runs are drawn while a sequence has fewer than this many (twice as many once none is live), so reads stay cheap. */
const MANY_RUNS = 4;

const TERMINAL: readonly Status[] = ['completed', 'error', 'interrupted'];

/** mulberry32: a 32-bit seeded PRNG (uniform in [0, 1)); a few lines, so a replay needs nothing else. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Draws from one seed. */
class Random {
  readonly #next: () => number;

  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.#next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.#next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(0, items.length - 1)];
    if (item === undefined) throw new Error('Random.pick: nothing to pick from');
    return item;
  }

  /** One key, drawn with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as Array<[K, number]>;
    let left = this.#next() * entries.reduce((sum, [, weight]) => sum + weight, 0);
    for (const [key, weight] of entries) {
      left -= weight;
      if (left < 0) return key;
    }
    return entries[entries.length - 1]![0];
  }
}

/** The columns the properties are about, as the model predicts them. */
interface ExpectedRow {
  status: Status;
  finishedAt: Date | null;
  updatedAt: Date;
}

interface ExpectedRun extends ExpectedRow {
  label: string;
  steps: string[];
}

interface ExpectedStep extends ExpectedRow {
  label: string;
  runId: string;
}

/** What the exporter stores for the sequence's chat, read back after every operation. */
interface Snapshot {
  runs: Map<string, RunRecord>;
  steps: Map<string, StepRecord>;
  /** The runs whose steps were all read. */
  stepsOf: Set<string>;
}

/** The operations a sequence draws. `at` is an explicit (late) write time; absent means the clock's now. */
type Operation =
  | { kind: 'createRun'; status?: Status; at?: Date }
  | { kind: 'createStep'; runId: string; status?: Status; at?: Date }
  | { kind: 'updateRun'; runId: string; status?: Status; finishedAt?: Date; at?: Date; late?: boolean }
  | { kind: 'updateStep'; stepId: string; status?: Status; finishedAt?: Date; at?: Date; late?: boolean }
  | { kind: 'finalizeRun'; runId: string; status: Status; at?: Date }
  | { kind: 'touchStep'; stepId: string; runId: string; at?: Date }
  | { kind: 'touchRun'; runId: string; at?: Date }
  | { kind: 'sweep' };

/** One seeded sequence: draws operations, applies them through the service, and checks every property after each. */
class Sequence {
  readonly #c: ConformanceContext;
  readonly #random: Random;
  readonly #seed: number;
  readonly #chatId: string;
  readonly #start: number;
  readonly #runs = new Map<string, ExpectedRun>();
  readonly #steps = new Map<string, ExpectedStep>();
  readonly #log: string[] = [];
  /** The last reading of every row (what the properties compare against). */
  readonly #seen = { runs: new Map<string, RunRecord>(), steps: new Map<string, StepRecord>() };
  /** Step ids of each run when it was first seen finalized. */
  readonly #closedSteps = new Map<string, string[]>();

  constructor(c: ConformanceContext, seed: number) {
    this.#c = c;
    this.#seed = seed;
    this.#random = new Random(seed);
    this.#chatId = c.chat();
    this.#start = c.clock.nowMillis();
  }

  async run(): Promise<void> {
    this.#c.service.setStaleAfter(STALE_AFTER_MILLIS);
    try {
      for (let index = 1; index <= OPERATIONS; index++) {
        this.#moveClock();
        const operation = this.#draw();
        if (operation.kind === 'sweep' && this.#random.chance(0.5)) this.#toCutoff(true);
        this.#log.push(`#${index} ${this.#time(this.#c.clock.now())} ${this.#describe(operation)}`);
        await this.#apply(operation);
      }
      // Whatever no operation was expected to change is checked here at the latest.
      this.#log.push('end: every row read back');
      await this.#check(await this.#readAll(), true);
    } catch (error) {
      if (error instanceof Error) error.message += `\nseed ${this.#seed}, operations so far (t = clock, relative to the start):\n  ${this.#log.join('\n  ')}`;
      throw error;
    }
  }

  /** Time goes forward by a random amount; sometimes exactly to a row's stale cutoff. */
  #moveClock(): void {
    const clock = this.#c.clock;
    switch (this.#random.weighted({ none: 3, small: 4, medium: 2, beyondThreshold: 0.5, toCutoff: 1 })) {
      case 'none':
        return;
      case 'small':
        clock.advance(this.#random.int(1, 1_000));
        return;
      case 'medium':
        clock.advance(this.#random.int(1_000, STALE_AFTER_MILLIS / 2));
        return;
      case 'beyondThreshold':
        clock.advance(this.#random.int(STALE_AFTER_MILLIS, 2 * STALE_AFTER_MILLIS));
        return;
      case 'toCutoff':
        this.#toCutoff(false);
        return;
    }
  }

  /**
   * Moves the clock (forward only) to where a row stops being fresh: exactly to updated_at + threshold
   * (not stale yet: the sweep wants updated_at < cutoff) or one millisecond past it. Before a sweep,
   * aims at live runs, preferring one with a step written after it (the §3.10 cascade).
   */
  #toCutoff(beforeSweep: boolean): void {
    const clock = this.#c.clock;
    let rows: ExpectedRow[] = [...this.#runs.values(), ...this.#steps.values()];
    if (beforeSweep) {
      const live = [...this.#runs.values()].filter((run) => run.finishedAt === null);
      const newerStep = (run: ExpectedRun): boolean =>
        run.steps.some((id) => {
          const step = this.#step(id);
          return step.finishedAt === null && !isTerminalStatus(step.status) && step.updatedAt > run.updatedAt;
        });
      rows = live.some(newerStep) && this.#random.chance(0.8) ? live.filter(newerStep) : live;
    }
    if (rows.length === 0) return;
    const target = this.#random.pick(rows).updatedAt.getTime() + STALE_AFTER_MILLIS + this.#random.int(0, 1);
    if (target > clock.nowMillis()) clock.set(target);
  }

  #draw(): Operation {
    const runs = [...this.#runs.keys()];
    const steps = [...this.#steps.keys()];
    const openRuns = runs.filter((id) => this.#run(id).finishedAt === null);
    if (runs.length === 0) return { kind: 'createRun', at: this.#maybeLate() };
    const kind = this.#random.weighted({
      // Fresh runs keep the sequence going once every run is finalized.
      createRun: openRuns.length === 0 ? (runs.length < 2 * MANY_RUNS ? 6 : 0) : runs.length < MANY_RUNS ? 2 : 0,
      createStep: 5,
      updateRun: 2.5,
      updateStep: steps.length > 0 ? 3 : 0,
      stepProgress: steps.length > 0 ? 1.5 : 0,
      lateEnd: 2,
      finalizeRun: 0.7,
      touchStep: steps.length > 0 ? 4 : 0,
      touchRun: 2,
      sweep: 2.5,
    });
    // Mostly aim at live rows (where steps can still be added); sometimes at finalized ones.
    const live = (ids: string[]): string[] => this.#prefer(ids, (id) => openRuns.includes(this.#steps.get(id)?.runId ?? id), 0.8);
    switch (kind) {
      case 'createRun':
        // A run may be created terminal: it stays open (finished_at NULL) and accepts steps.
        return { kind, status: this.#random.chance(0.15) ? this.#random.pick(TERMINAL) : undefined, at: this.#maybeLate() };
      case 'createStep':
        return { kind, runId: this.#random.pick(live(runs)), status: this.#random.chance(0.1) ? this.#random.pick(TERMINAL) : undefined, at: this.#maybeLate() };
      case 'updateRun':
        return { kind, runId: this.#random.pick(live(runs)), status: this.#maybeStatus(), finishedAt: this.#maybeFinishedAt(), at: this.#maybeLate() };
      case 'updateStep':
        return { kind, stepId: this.#random.pick(live(steps)), status: this.#maybeStatus(), finishedAt: this.#maybeFinishedAt(), at: this.#maybeLate() };
      case 'stepProgress':
        // A step-only write with no status (it bumps the step, not its run): what leaves a fresh step under a stale run.
        return { kind: 'updateStep', stepId: this.#random.pick(live(steps)) };
      case 'lateEnd': {
        // A duplicate end arriving late: a terminal status stamped in the past, mostly for a row already ended.
        const at = this.#past();
        const finishedAt = this.#random.chance(0.5) ? at : undefined;
        const status = this.#random.pick(TERMINAL);
        if (steps.length > 0 && this.#random.chance(0.5)) {
          return { kind: 'updateStep', stepId: this.#random.pick(this.#prefer(steps, (id) => this.#step(id).finishedAt !== null, 0.9)), status, finishedAt, at, late: true };
        }
        return { kind: 'updateRun', runId: this.#random.pick(this.#prefer(runs, (id) => this.#run(id).finishedAt !== null, 0.9)), status, finishedAt, at, late: true };
      }
      case 'finalizeRun':
        return { kind, runId: this.#random.pick(live(runs)), status: this.#random.pick(TERMINAL), at: this.#maybeLate() };
      case 'touchStep': {
        const stepId = this.#random.pick(live(steps));
        // Now and then a heartbeat names the wrong run: it must refresh nothing.
        const runId = this.#random.chance(0.1) ? this.#random.pick(runs) : this.#step(stepId).runId;
        return { kind, stepId, runId, at: this.#maybeLate() };
      }
      case 'touchRun':
        return { kind, runId: this.#random.pick(live(runs)), at: this.#maybeLate() };
      case 'sweep':
        return { kind };
    }
  }

  /** With the given probability, the ids that match (when any do); otherwise all of them. */
  #prefer(ids: string[], predicate: (id: string) => boolean, probability: number): string[] {
    const matching = ids.filter(predicate);
    return matching.length > 0 && this.#random.chance(probability) ? matching : ids;
  }

  /** A time in the past, up to one and a half thresholds back. */
  #past(): Date {
    return new Date(this.#c.clock.nowMillis() - this.#random.int(1, 1.5 * STALE_AFTER_MILLIS));
  }

  #maybeLate(): Date | undefined {
    return this.#random.chance(0.25) ? this.#past() : undefined;
  }

  #maybeStatus(): Status | undefined {
    const drawn = this.#random.weighted({ none: 6, in_progress: 2, completed: 0.7, error: 0.7, interrupted: 0.7 });
    return drawn === 'none' ? undefined : drawn;
  }

  #maybeFinishedAt(): Date | undefined {
    switch (this.#random.weighted({ none: 7, now: 1.5, past: 1.5 })) {
      case 'now':
        return this.#c.clock.now();
      case 'past':
        return this.#past();
      default:
        return undefined;
    }
  }

  async #apply(operation: Operation): Promise<void> {
    const { service } = this.#c;
    const now = this.#c.clock.now();
    const at = operation.kind === 'sweep' ? now : (operation.at ?? now);
    // What this operation may change, read back right after it: these runs, and the steps of these runs.
    const runs: string[] = [];
    const stepsOf: string[] = [];
    switch (operation.kind) {
      case 'createRun': {
        const run = await this.#c.run({ chatId: this.#chatId, status: operation.status, at: operation.at });
        runs.push(run.id);
        this.#runs.set(run.id, { label: `r${this.#runs.size + 1}`, status: operation.status ?? 'in_progress', finishedAt: null, updatedAt: at, steps: [] });
        break;
      }
      case 'createStep': {
        const run = this.#run(operation.runId);
        runs.push(operation.runId);
        stepsOf.push(operation.runId);
        const attempt = service.createStep({
          runId: operation.runId,
          chatId: this.#chatId,
          stepNumber: service.stepCounter.next(operation.runId),
          operation: 'generate',
          status: operation.status,
          at: operation.at,
        });
        if (run.finishedAt !== null) {
          // A finalized run never gets new steps.
          await expect(attempt, this.#where(`${run.label} is finalized: the step must be refused`)).rejects.toMatchObject({ code: 'run_finalized' });
          break;
        }
        const step = await attempt;
        run.steps.push(step.id);
        this.#steps.set(step.id, { label: `${run.label}.s${run.steps.length}`, runId: operation.runId, status: operation.status ?? 'in_progress', finishedAt: null, updatedAt: at });
        bump(run, at);
        break;
      }
      case 'updateRun': {
        const run = this.#run(operation.runId);
        // Steps too: when this finalizes the run, its steps are recorded as closed from now on.
        runs.push(operation.runId);
        stepsOf.push(operation.runId);
        await service.updateRun({ id: operation.runId, chatId: this.#chatId, status: operation.status, finishedAt: operation.finishedAt, at: operation.at });
        writeRun(run, operation.status, operation.finishedAt, at);
        break;
      }
      case 'updateStep': {
        const step = this.#step(operation.stepId);
        stepsOf.push(step.runId);
        await service.updateStep({ id: operation.stepId, chatId: this.#chatId, status: operation.status, finishedAt: operation.finishedAt, at: operation.at });
        if (operation.status !== undefined) step.status = operation.status;
        // Unlike runs, a later step finished_at replaces an earlier one (§3.6).
        const finishedAt = operation.finishedAt ?? (operation.status !== undefined && isTerminalStatus(operation.status) ? at : undefined);
        if (finishedAt !== undefined) step.finishedAt = finishedAt;
        bump(step, at);
        break;
      }
      case 'finalizeRun': {
        const run = this.#run(operation.runId);
        runs.push(operation.runId);
        stepsOf.push(operation.runId);
        await service.finalizeRun({ runId: operation.runId, chatId: this.#chatId, status: operation.status, at: operation.at });
        writeRun(run, operation.status, at, at);
        break;
      }
      case 'touchStep': {
        await service.touchStep({ stepId: operation.stepId, runId: operation.runId, chatId: this.#chatId, at: operation.at });
        const step = this.#step(operation.stepId);
        runs.push(operation.runId, step.runId);
        stepsOf.push(step.runId);
        if (step.runId === operation.runId) {
          bump(this.#run(operation.runId), at);
          bump(step, at);
        }
        break;
      }
      case 'touchRun':
        runs.push(operation.runId);
        await service.touchRun({ runId: operation.runId, chatId: this.#chatId, at: operation.at });
        bump(this.#run(operation.runId), at);
        break;
      case 'sweep':
        await this.#sweep(now);
        return;
    }
    await this.#check(await this.#read(runs, stepsOf), false);
  }

  /** F6: a sweep finalizes exactly the stale open rows (and the open steps of runs it finalizes), then a second sweep is a no-op. */
  async #sweep(now: Date): Promise<void> {
    const cutoff = now.getTime() - STALE_AFTER_MILLIS;
    // The rows as last read: each operation reads back what it may change, and the full reading
    // after the sweep would expose anything else that moved.
    const before = { runs: new Map(this.#seen.runs), steps: new Map(this.#seen.steps) };
    const isOpen = (row: ExpectedRow): boolean => row.finishedAt === null && !isTerminalStatus(row.status);
    const sweptRuns = new Set([...this.#runs].filter(([, run]) => isOpen(run) && run.updatedAt.getTime() < cutoff).map(([id]) => id));
    const sweptSteps = [...this.#steps.values()].filter((step) => isOpen(step) && (step.updatedAt.getTime() < cutoff || sweptRuns.has(step.runId)));
    const sweptRows: ExpectedRow[] = [...[...sweptRuns].map((id) => this.#run(id)), ...sweptSteps];
    for (const row of sweptRows) {
      row.status = 'interrupted';
      row.finishedAt = now;
      bump(row, now);
    }

    const result = await this.#c.service.finalizeStale();
    const after = await this.#check(await this.#readAll(), true);
    expect(result, this.#where('sweep counts')).toEqual({ runsFinalized: sweptRuns.size, stepsFinalized: sweptSteps.length });
    // Nothing touched within the threshold is finalized: a run updated at or after the cutoff is left
    // exactly as it was, and so is such a step unless its run was finalized by this sweep (the §3.10
    // cascade; a heartbeat bumps the run with its step, so only a step-only write can leave a fresh
    // step under a stale run).
    for (const [id, run] of before.runs) {
      if (run.updatedAt.getTime() >= cutoff) expect(after.runs.get(id), this.#where(`${this.#run(id).label} was fresh: the sweep must leave it alone`)).toEqual(run);
    }
    for (const [id, step] of before.steps) {
      if (step.updatedAt.getTime() >= cutoff && !sweptRuns.has(step.runId)) {
        expect(after.steps.get(id), this.#where(`${this.#step(id).label} was fresh: the sweep must leave it alone`)).toEqual(step);
      }
    }
    // A second sweep right after changes nothing.
    expect(await this.#c.service.finalizeStale(), this.#where('a second sweep at the same instant')).toEqual({ runsFinalized: 0, stepsFinalized: 0 });
    expect(await this.#readAll(), this.#where('rows after a second sweep')).toEqual(after);
  }

  /**
   * Checks the rows just read against their previous reading (the properties) and against the
   * model. `complete` says the reading holds every row of the sequence's chat.
   */
  async #check(reading: Snapshot, complete: boolean): Promise<Snapshot> {
    for (const [id, run] of reading.runs) {
      const expected = this.#run(id);
      const previous = this.#seen.runs.get(id);
      if (previous) {
        // F5: the first non-null finished_at of a run wins.
        if (previous.finishedAt !== null) expect(run.finishedAt, this.#where(`${expected.label}: its first finished_at must never change`)).toEqual(previous.finishedAt);
        // F5: updated_at never decreases.
        expect(run.updatedAt.getTime(), this.#where(`${expected.label}: updated_at must never decrease`)).toBeGreaterThanOrEqual(previous.updatedAt.getTime());
      }
      expect(pickExpected(run), this.#where(`${expected.label}: status, finished_at, updated_at`)).toEqual(pickExpected(expected));
      this.#seen.runs.set(id, run);
    }
    for (const id of reading.stepsOf) {
      const expected = this.#run(id);
      const stepIds = [...reading.steps.values()].filter((step) => step.runId === id).map((step) => step.id).sort();
      // F5/F6: a finalized run never gets new steps.
      const closed = this.#closedSteps.get(id);
      if (closed) expect(stepIds, this.#where(`${expected.label} is finalized: no step may be added`)).toEqual(closed);
      else if (this.#seen.runs.get(id)?.finishedAt) this.#closedSteps.set(id, stepIds);
      expect(stepIds, this.#where(`${expected.label}: stored steps`)).toEqual([...expected.steps].sort());
    }
    for (const [id, step] of reading.steps) {
      const expected = this.#step(id);
      const previous = this.#seen.steps.get(id);
      if (previous) {
        expect(step.updatedAt.getTime(), this.#where(`${expected.label}: updated_at must never decrease`)).toBeGreaterThanOrEqual(previous.updatedAt.getTime());
        // A step's finished_at may be replaced by a later write (§3.6) but never cleared (COALESCE).
        if (previous.finishedAt !== null) expect(step.finishedAt, this.#where(`${expected.label}: finished_at must never be cleared`)).not.toBeNull();
      }
      // §3 statuses at the storage level: the last written status is stored as is (status is not
      // write-once, and priority is the tracer's guard, not the exporter's); a terminal status written
      // through an update fills finished_at; the sweep turns only open rows into `interrupted`.
      expect(pickExpected(step), this.#where(`${expected.label}: status, finished_at, updated_at`)).toEqual(pickExpected(expected));
      this.#seen.steps.set(id, step);
    }
    if (complete) expect([...reading.runs.keys()].sort(), this.#where('stored runs')).toEqual([...this.#runs.keys()].sort());
    return reading;
  }

  /** Reads these runs, and the steps of those runs. */
  async #read(runIds: readonly string[], stepsOf: readonly string[]): Promise<Snapshot> {
    const exporter = this.#c.harness.exporter;
    const reading: Snapshot = { runs: new Map(), steps: new Map(), stepsOf: new Set(stepsOf) };
    for (const id of new Set(runIds)) {
      const run = await exporter.getRun(id);
      expect(run, this.#where(`${this.#run(id).label} disappeared`)).toBeDefined();
      if (run) reading.runs.set(id, run);
    }
    for (const id of reading.stepsOf) for (const step of await exporter.listSteps(id)) reading.steps.set(step.id, step);
    return reading;
  }

  /** Reads every run of the sequence's chat and their steps. */
  async #readAll(): Promise<Snapshot> {
    const exporter = this.#c.harness.exporter;
    const runs = await exporter.listRuns({ chatId: this.#chatId, limit: 1_000 });
    const reading: Snapshot = { runs: new Map(runs.map((run) => [run.id, run])), steps: new Map(), stepsOf: new Set(runs.map((run) => run.id)) };
    for (const run of runs) for (const step of await exporter.listSteps(run.id)) reading.steps.set(step.id, step);
    return reading;
  }

  #run(id: string): ExpectedRun {
    const run = this.#runs.get(id);
    if (!run) throw new Error(`unknown run ${id}`);
    return run;
  }

  #step(id: string): ExpectedStep {
    const step = this.#steps.get(id);
    if (!step) throw new Error(`unknown step ${id}`);
    return step;
  }

  #where(what: string): string {
    return `seed ${this.#seed}, ${this.#log[this.#log.length - 1] ?? 'start'}: ${what}`;
  }

  #time(date: Date): string {
    return `t${date.getTime() - this.#start >= 0 ? '+' : ''}${date.getTime() - this.#start}ms`;
  }

  #describe(operation: Operation): string {
    const parts: string[] = [operation.kind === 'updateRun' || operation.kind === 'updateStep' ? (operation.late ? `${operation.kind} (late end)` : operation.kind) : operation.kind];
    if ('stepId' in operation) parts.push(this.#steps.get(operation.stepId)?.label ?? operation.stepId);
    if ('runId' in operation) parts.push(operation.kind === 'touchStep' ? `via ${this.#runs.get(operation.runId)?.label}` : (this.#runs.get(operation.runId)?.label ?? operation.runId));
    if ('status' in operation && operation.status !== undefined) parts.push(`status=${operation.status}`);
    if ('finishedAt' in operation && operation.finishedAt !== undefined) parts.push(`finishedAt=${this.#time(operation.finishedAt)}`);
    if ('at' in operation && operation.at !== undefined) parts.push(`at=${this.#time(operation.at)}`);
    return parts.join(' ');
  }
}

/** A run write (§3.4): status as given, finished_at write-once (auto-filled for a terminal status), updated_at = max. */
function writeRun(run: ExpectedRun, status: Status | undefined, finishedAt: Date | undefined, at: Date): void {
  if (status !== undefined) run.status = status;
  run.finishedAt ??= finishedAt ?? (status !== undefined && isTerminalStatus(status) ? at : null);
  bump(run, at);
}

function bump(row: ExpectedRow, at: Date): void {
  if (at.getTime() > row.updatedAt.getTime()) row.updatedAt = at;
}

function pickExpected(row: ExpectedRow): ExpectedRow {
  return { status: row.status, finishedAt: row.finishedAt, updatedAt: row.updatedAt };
}

/**
 * F5 and F6 of the fault tests as deterministic property tests: seeded random interleavings of
 * run and step creation, updates (with and without status, terminal statuses, explicit
 * finished_at), heartbeats, late duplicate ends stamped in the past, run finalization and stale
 * sweeps, all through the service on a mock clock. After every operation the stored rows are read
 * back and checked.
 */
export function registerWriteOncePropertyCases(ctx: ContextAccessor): void {
  describe('F5/F6 write-once properties over seeded random interleavings', () => {
    it.each(SEEDS)(
      `seed %i: ${OPERATIONS} operations keep the first run finished_at, never lower updated_at, add no step to a finalized run, store statuses as written, and sweep only stale rows, once`,
      async (seed) => {
        await new Sequence(ctx(), seed).run();
      },
    );
  });
}
