import { describe, expect, it } from 'vitest';

// Imports the published build, so a packaging mistake (a missing export, a broken .js path)
// fails CI. `pnpm test` builds first.
describe('@chatdebug/testing dist', () => {
  it('loads and exposes the public surface', async () => {
    const testing = (await import('../dist/index.js')) as Record<string, unknown>;
    for (const name of ['MockClock', 'MemoryExporter', 'MemorySettingsStore', 'RecordingEventBus', 'FaultInjectingExporter', 'InjectedConnectionError', 'describeExporterConformance']) {
      expect(testing[name], name).toBeDefined();
    }
  });
});
