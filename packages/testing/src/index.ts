// Public surface of @chatdebug/testing. Everything not exported here is internal.

export { MockClock, MockTimerHandle, DEFAULT_MOCK_CLOCK_START } from './mock-clock.js';
export type { MockClockSettleOptions } from './mock-clock.js';

export { MemoryExporter, DuplicateKeyError } from './memory-exporter.js';
export { MemorySettingsStore } from './memory-settings-store.js';
export type { MemorySettingsStoreOptions } from './memory-settings-store.js';
export { RecordingEventBus } from './recording-event-bus.js';
export type { RecordedEvent, RecordingEventBusOptions } from './recording-event-bus.js';

export { FaultInjectingExporter, InjectedConnectionError } from './fault-injecting-exporter.js';
export type {
  ExporterMethod,
  ExporterCall,
  ExporterCallOutcome,
  ExporterCallPredicate,
  RecordedExporterCall,
  InjectedError,
} from './fault-injecting-exporter.js';

export { describeExporterConformance } from './conformance/describe-exporter-conformance.js';
export type { ConformanceHarness, ConformanceOptions } from './conformance/harness.js';

// Trace assertions (src/trace-assertions.ts, owned separately).
export { normalizeTrace, readTrace, formatTrace, assertTraceMatches, expectTrace } from './trace-assertions.js';
export type { TraceRun, TraceStep, TraceShape, NormalizeTraceOptions } from './trace-assertions.js';
