import { describe, expect, it } from 'vitest';
import * as source from '../src/index.js';

// Imports the published build, so a packaging mistake (a missing export, a broken .js path, a
// migration left out of dist) fails CI. `pnpm test` builds first.
// A computed specifier: type-checking never depends on a build being present.
const DIST = '../dist/index.js';
const loadDist = async () => (await import(/* @vite-ignore */ DIST)) as Record<string, unknown>;

describe('@chatdebug/exporter-postgres dist', () => {
  it('exposes the same runtime surface as the sources', async () => {
    const dist = await loadDist();
    expect(Object.keys(dist).sort()).toEqual(Object.keys(source).sort());
    expect(dist.LATEST_SCHEMA_VERSION).toBe(source.LATEST_SCHEMA_VERSION);
  });

  it('runs from the build: schema validation and a publish through a pool-like object', async () => {
    const dist = (await loadDist()) as Pick<typeof source, 'validateSchemaName' | 'PostgresEventBus'>;
    expect(() => dist.validateSchemaName('Bad')).toThrow();
    const calls: unknown[][] = [];
    const bus = new dist.PostgresEventBus({
      db: {
        query: async (text, values) => {
          calls.push([text, ...(values ?? [])]);
          return { rows: [] };
        },
      },
    });
    await bus.publish({ kind: 'finalize', chatId: '00000000-0000-0000-0000-000000000000', runId: '00000000-0000-0000-0000-000000000000', stepId: '00000000-0000-0000-0000-000000000000' });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.[1]).toBe('chat_debug:broadcast');
  });
});
