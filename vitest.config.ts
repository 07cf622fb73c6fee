import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources (the `@chatdebug/source` export
// condition), so tests never depend on a stale build. One test per package imports `dist`
// on purpose to catch packaging mistakes.
const conditions = ['@chatdebug/source', 'import', 'module', 'node', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@chatdebug/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
