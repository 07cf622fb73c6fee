import { describeExporterConformance } from '@chatdebug/testing';
import { openTestDatabase } from './support.js';

// The shared exporter conformance suite, unchanged, on embedded PGlite (always runs).
describeExporterConformance('PostgresExporter on PGlite', async () => {
  const t = await openTestDatabase('pglite');
  return { exporter: t.exporter, settings: t.settings, reset: t.truncate, close: t.close };
});
