import { afterEach, expect } from 'vitest';
import type { Attempt, Logger, StepRecord, Tracer } from '@chatdebug/sdk';
import { createTracer } from '@chatdebug/sdk';
import { MemoryExporter } from '@chatdebug/testing';

export const CHAT = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

export interface CapturedLog {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  attributes?: Record<string, unknown>;
}

export interface TracingHarness {
  exporter: MemoryExporter;
  tracer: Tracer;
  logs: CapturedLog[];
  /** Flushes the tracer and returns the chat's runs (newest first) with their steps. */
  read(): Promise<{ runs: Awaited<ReturnType<MemoryExporter['listRuns']>>; steps: StepRecord[] }>;
}

// Every secret a test file sends (API keys, tokens in bodies or URLs). After each test, nothing
// any harness of that test stored or logged may contain one: the "no secret reaches the
// exporter in any test" rule, checked everywhere rather than in one scenario.
const secrets = new Set<string>();
let harnesses: TracingHarness[] = [];

/** Registers values that must never be stored or logged by the harnesses of this test file. */
export function registerSecrets(...values: string[]): void {
  for (const value of values) secrets.add(value);
}

afterEach(async () => {
  const current = harnesses;
  harnesses = [];
  for (const harness of current) {
    await harness.tracer.forceFlush();
    const stored = JSON.stringify({ runs: harness.exporter.runs(), steps: harness.exporter.steps() });
    const logged = JSON.stringify(harness.logs);
    for (const secret of secrets) {
      expect(stored.includes(secret), `stored a secret: ${secret}`).toBe(false);
      expect(logged.includes(secret), `logged a secret: ${secret}`).toBe(false);
    }
  }
});

/** A tracer over a MemoryExporter on the real clock (HTTP timing is real), with captured logs. */
export function setupTracing(): TracingHarness {
  const exporter = new MemoryExporter();
  const logs: CapturedLog[] = [];
  const log = (level: CapturedLog['level']) => (message: string, attributes?: Record<string, unknown>) => void logs.push({ level, message, attributes });
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  const tracer = createTracer({ exporter, logger });
  const harness: TracingHarness = {
    exporter,
    tracer,
    logs,
    async read() {
      const result = await tracer.forceFlush();
      if (result.timedOut) throw new Error('flush timed out');
      const runs = await exporter.listRuns({ chatId: CHAT, limit: 10 });
      const steps = (await Promise.all(runs.map((run) => exporter.listSteps(run.id)))).flat();
      return { runs, steps };
    },
  };
  harnesses.push(harness);
  return harness;
}

/** The attempts of a step, typed. */
export function attemptsOf(step: StepRecord | undefined): Attempt[] {
  if (!step) throw new Error('no step');
  return step.attempts as unknown as Attempt[];
}

/** Waits until `check` passes (for work that finishes on the event loop after an await returns). */
export async function eventually(check: () => boolean | Promise<boolean>, turns = 200): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (await check()) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error('condition not reached');
}
