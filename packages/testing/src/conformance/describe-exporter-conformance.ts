import { afterAll, beforeAll, beforeEach, describe } from 'vitest';
import { registerBadInputCases } from './cases/bad-input.js';
import { registerDeleteCases } from './cases/deletes.js';
import { registerEventCases } from './cases/events.js';
import { registerFinalizeRunCases } from './cases/finalize-run.js';
import { registerIsEnabledCases } from './cases/is-enabled.js';
import { registerJsonColumnCases } from './cases/json-columns.js';
import { registerReadCases } from './cases/reads.js';
import { registerRetentionCases } from './cases/retention.js';
import { registerRunCases } from './cases/runs.js';
import { registerStaleSweepCases } from './cases/stale-sweep.js';
import { registerStepCases } from './cases/steps.js';
import { registerTouchCases } from './cases/touch.js';
import { registerWriteOncePropertyCases } from './cases/write-once-properties.js';
import { ConformanceContext } from './context.js';
import type { ConformanceHarness, ConformanceOptions } from './harness.js';

/**
 * Registers the exporter conformance suite with vitest: one test per behaviour of the reference
 * system (§2–§4 and §7 of the behaviour study), run through a `DebugService` over the harness's
 * exporter and settings, with a `MockClock` and a `RecordingEventBus` fresh for every test.
 *
 * Call it at the top level of a test file. `factory` runs once (in `beforeAll`), `reset()` before
 * every test and `close()` after the last. Every exporter must pass all of it.
 *
 * @example
 * ```ts
 * // packages/exporter-postgres/test/postgres-exporter.conformance.test.ts
 * import { describeExporterConformance } from '@chatdebug/testing';
 *
 * describeExporterConformance('PostgresExporter on PGlite', async () => {
 *   const exporter = await createPgliteExporter();
 *   return { exporter, settings: exporter.settings, reset: () => exporter.truncateAll(), close: () => exporter.shutdown() };
 * });
 * ```
 */
export function describeExporterConformance(name: string, factory: () => Promise<ConformanceHarness>, options: ConformanceOptions = {}): void {
  if (options.skip && options.skip.length > 0) {
    throw new Error(`describeExporterConformance: no capability can be skipped yet (got ${options.skip.join(', ')})`);
  }
  describe(`exporter conformance: ${name}`, () => {
    let harness: ConformanceHarness | undefined;
    let context: ConformanceContext | undefined;

    beforeAll(async () => {
      harness = await factory();
    });

    beforeEach(async () => {
      if (!harness) throw new Error('the conformance harness factory did not complete');
      await harness.reset();
      context = new ConformanceContext(harness);
    });

    afterAll(async () => {
      await harness?.close();
    });

    const ctx = (): ConformanceContext => {
      if (!context) throw new Error('conformance context used outside a test');
      return context;
    };

    registerJsonColumnCases(ctx);
    registerIsEnabledCases(ctx);
    registerRunCases(ctx);
    registerStepCases(ctx);
    registerTouchCases(ctx);
    registerDeleteCases(ctx);
    registerStaleSweepCases(ctx);
    registerFinalizeRunCases(ctx);
    registerRetentionCases(ctx);
    registerReadCases(ctx);
    registerEventCases(ctx);
    registerBadInputCases(ctx);
    registerWriteOncePropertyCases(ctx);
  });
}
