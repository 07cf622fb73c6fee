import { describe, expect, it } from 'vitest';

// Imports the published build, so a packaging mistake (a missing export, a broken .js path)
// fails CI. `pnpm test` builds first.
describe('@chatdebug/sdk dist', () => {
  it('loads and exposes the public surface', async () => {
    const sdk = (await import('../dist/index.js')) as Record<string, unknown>;
    for (const name of ['createTracer', 'Tracer', 'DebugService', 'InProcessEventBus', 'ChatDebugError', 'JSON_NULL', 'truncateLabel', 'aggregateRunSummary']) {
      expect(sdk[name], name).toBeDefined();
    }
  });
});
