import { describe } from 'vitest';
import { describeExporterConformance } from '@chatdebug/testing';
import { HAS_SERVER, openTestDatabase } from './support.js';

// The shared exporter conformance suite, unchanged, on a real PostgreSQL server (DATABASE_URL).
describe.skipIf(!HAS_SERVER)('real server', () => {
  describeExporterConformance('PostgresExporter on PostgreSQL', async () => {
    const t = await openTestDatabase('postgres');
    return { exporter: t.exporter, settings: t.settings, reset: t.truncate, close: t.close };
  });
});
