import type { Logger, Tracer, TracerOptions } from '@chatdebug/sdk';
import { DebugService, Tracer as TracerClass } from '@chatdebug/sdk';
import { FaultInjectingExporter, MemoryExporter, MockClock } from '@chatdebug/testing';

export const CHAT = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

/** Log lines captured instead of printed. */
export interface CapturedLog {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  attributes?: Record<string, unknown>;
}

export function capturingLogger(): { logger: Logger; lines: CapturedLog[] } {
  const lines: CapturedLog[] = [];
  const log = (level: CapturedLog['level']) => (message: string, attributes?: Record<string, unknown>) => void lines.push({ level, message, attributes });
  return { logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }, lines };
}

export interface Harness {
  clock: MockClock;
  memory: MemoryExporter;
  exporter: FaultInjectingExporter;
  service: DebugService;
  tracer: Tracer;
  lines: CapturedLog[];
  /** Flushes the pipeline, driving the mock clock so retry backoffs elapse. */
  flush(): Promise<void>;
}

export function setup(options: { staleAfterMillis?: number; tracer?: Partial<Omit<TracerOptions, 'service'>> } = {}): Harness {
  const clock = new MockClock(new Date('2026-03-01T12:00:00Z'));
  const memory = new MemoryExporter();
  const exporter = new FaultInjectingExporter(memory);
  const { logger, lines } = capturingLogger();
  const service = new DebugService({ exporter, clock, logger, staleAfterMillis: options.staleAfterMillis });
  const tracer = new TracerClass({ service, strict: true, ...options.tracer });
  // Lets the pipeline drain on the real event loop; only when it is stuck waiting on a mock
  // timer (a retry backoff) is mock time moved forward.
  const flush = async () => {
    for (let i = 0; i < 400 && tracer.stats().pipeline.pending > 0; i++) {
      await turns(5);
      if (tracer.stats().pipeline.pending > 0) await clock.advanceAsync(250);
    }
    const result = await tracer.forceFlush();
    if (result.timedOut) throw new Error('flush timed out');
  };
  return { clock, memory, exporter, service, tracer, lines, flush };
}

export async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
