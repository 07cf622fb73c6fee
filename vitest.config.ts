import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources, so tests never depend on a stale build
// and a test of one package may use another's test doubles without a (cyclic) package
// dependency. Aliases rather than export conditions: conditions reach Node's own resolver for
// external packages too (an `import` or `module` condition there breaks `pg` and
// `@opentelemetry/api`). One test per package imports `dist` on purpose to catch packaging mistakes.
const workspace = ['sdk', 'testing', 'exporter-postgres', 'otel', 'cli'];
const alias = workspace.map((name) => ({
  find: new RegExp(`^@chatdebug/${name}$`),
  replacement: fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url)),
}));

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
