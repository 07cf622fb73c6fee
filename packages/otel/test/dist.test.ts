import { describe, expect, it } from 'vitest';

// Imports the published build, so a packaging mistake (a missing export, a broken .js path)
// fails CI. `pnpm test` builds first.
describe('@chatdebug/otel dist', () => {
  it('loads and exposes the public surface', async () => {
    const otel = (await import('../dist/index.js')) as Record<string, unknown>;
    for (const name of ['ChatDebugOtelBridge', 'createOtelMirror', 'ChatDebugSpanProcessor', 'ATTR', 'DEFAULT_CHAT_ID_ATTRIBUTES', 'AI_SDK_MODEL_CALL_SPANS']) {
      expect(otel[name], name).toBeDefined();
    }
  });
});
