import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources (the `@chatdebug/source` export
// condition), so tests never depend on a stale build. One test per package imports `dist`
// on purpose to catch packaging mistakes.
// Only the custom condition is added: a generic one such as `import` would reach Node's own
// resolver for external packages and make `require()` load ESM builds (breaking `pg`).
const SOURCE = '@chatdebug/source';

// Tests of one package may use another's test doubles without a (cyclic) package dependency.
const workspace = ['sdk', 'testing', 'exporter-postgres', 'otel', 'cli'];
const alias = workspace.map((name) => ({
  find: new RegExp(`^@chatdebug/${name}$`),
  replacement: fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url)),
}));

export default defineConfig({
  resolve: { conditions: [SOURCE, ...defaultClientConditions], alias },
  ssr: { resolve: { conditions: [SOURCE, ...defaultServerConditions] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
