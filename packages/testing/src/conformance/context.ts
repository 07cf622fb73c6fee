import type { CreateRunParams, CreateStepParams, DebugServiceOptions, RunRecord, StepRecord } from '@chatdebug/sdk';
import { DebugService, newId } from '@chatdebug/sdk';
import { FaultInjectingExporter } from '../fault-injecting-exporter.js';
import { MockClock } from '../mock-clock.js';
import { RecordingEventBus } from '../recording-event-bus.js';
import type { ConformanceHarness } from './harness.js';
import { RecordingLogger } from './recording-logger.js';

/** Everything one conformance test works with; a fresh one per test. */
export class ConformanceContext {
  readonly harness: ConformanceHarness;
  readonly clock = new MockClock();
  readonly bus = new RecordingEventBus();
  readonly logger = new RecordingLogger();
  /** The harness's exporter behind a fault injector (transparent until told otherwise). */
  readonly exporter: FaultInjectingExporter;
  readonly service: DebugService;

  constructor(harness: ConformanceHarness) {
    this.harness = harness;
    this.exporter = new FaultInjectingExporter(harness.exporter);
    this.service = this.newService();
  }

  /** A service over this context's exporter, settings, bus, clock and logger, with overrides. */
  newService(overrides: Partial<DebugServiceOptions> = {}): DebugService {
    return new DebugService({
      exporter: this.exporter,
      settings: this.harness.settings,
      eventBus: this.bus,
      clock: this.clock,
      logger: this.logger,
      ...overrides,
    });
  }

  /** A fresh chat id. */
  chat(): string {
    return newId();
  }

  /** Creates a run in a fresh chat (unless `chatId` is given) of kind `chat_turn`. */
  run(params: Partial<CreateRunParams> = {}): Promise<RunRecord> {
    return this.service.createRun({ kind: 'chat_turn', ...params, chatId: params.chatId ?? this.chat() });
  }

  /** Creates a `generate` step in `run`, numbered by the service's step counter unless given. */
  step(run: RunRecord, params: Partial<CreateStepParams> = {}): Promise<StepRecord> {
    return this.service.createStep({
      operation: 'generate',
      ...params,
      runId: run.id,
      chatId: run.chatId,
      stepNumber: params.stepNumber ?? this.service.stepCounter.next(run.id),
    });
  }

  /** Finalizes a run the way a caller ends it: a terminal status with `finishedAt` = now. */
  finish(run: RunRecord, status: 'completed' | 'error' | 'interrupted' = 'completed'): Promise<RunRecord> {
    return this.service.updateRun({ id: run.id, chatId: run.chatId, status });
  }

  /** Moves the mock clock forward and returns the new time. */
  advance(millis: number): Date {
    this.clock.advance(millis);
    return this.clock.now();
  }

  /** Forgets the events and exporter calls of the setup, so a test checks only what follows. */
  quiet(): void {
    this.bus.clear();
    this.exporter.clearCalls();
  }

  /** The stored run (read through the harness's exporter directly). */
  async storedRun(id: string): Promise<RunRecord | undefined> {
    return this.harness.exporter.getRun(id);
  }

  /** The stored steps of a run, in order. */
  async storedSteps(runId: string): Promise<StepRecord[]> {
    return this.harness.exporter.listSteps(runId);
  }

  /** The stored step with that id, found through its run. */
  async storedStep(step: StepRecord): Promise<StepRecord | undefined> {
    return (await this.storedSteps(step.runId)).find((candidate) => candidate.id === step.id);
  }
}

/** Gives registered tests the context of the test that is running. */
export type ContextAccessor = () => ConformanceContext;
