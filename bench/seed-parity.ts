// E4: the seed-parity path. Awaited, unbatched DebugService calls on PostgreSQL (createRun,
// createStep, updateStep) next to the raw pg single-row INSERT they each amount to, measured on
// the same pool in one run. Needs DATABASE_URL; skipped without it.
import pg from 'pg';
import { DebugService, newId, silentLogger } from '@chatdebug/sdk';
import { PostgresExporter, migrate } from '@chatdebug/exporter-postgres';
import { machine, measure, printTable } from './measure.js';

const SCHEMA = 'chatdebug_bench';

export async function seedParity(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (url === undefined || url === '') {
    console.log('\nseed-parity, E4: skipped (set DATABASE_URL to a PostgreSQL server)');
    return;
  }
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  pool.on('error', () => {});
  try {
    await pool.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await migrate(pool, { schema: SCHEMA });
    await pool.query(`CREATE TABLE ${SCHEMA}.raw_rows (id uuid PRIMARY KEY, chat_id uuid NOT NULL, n int NOT NULL, payload jsonb NOT NULL, started_at timestamptz NOT NULL)`);
    const service = new DebugService({ exporter: new PostgresExporter({ pool, schema: SCHEMA }), logger: silentLogger });
    const chatId = newId();
    const run = await service.createRun({ chatId, kind: 'chat_turn' });
    let stepNumber = 0;
    const request = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'What is the weather in Oslo?' }] };
    const results = await measure(
      [
        {
          name: 'pg: one awaited single-row INSERT',
          async run(iterations) {
            for (let i = 0; i < iterations; i++) {
              await pool.query(`INSERT INTO ${SCHEMA}.raw_rows (id, chat_id, n, payload, started_at) VALUES ($1, $2, $3, $4, $5)`, [newId(), chatId, i, request, new Date()]);
            }
          },
        },
        {
          name: 'service.createRun (awaited)',
          async run(iterations) {
            for (let i = 0; i < iterations; i++) await service.createRun({ chatId, kind: 'chat_turn', summary: { first_message: 'hi' } });
          },
        },
        {
          name: 'service.createStep (guarded insert, awaited)',
          async run(iterations) {
            for (let i = 0; i < iterations; i++) {
              await service.createStep({ runId: run.id, chatId, stepNumber: ++stepNumber, operation: 'generate', normalizedRequest: request });
            }
          },
        },
      ],
      { iterations: 50, rounds: 10, warmupRounds: 2 },
    );
    printTable(`seed-parity, E4 (${machine()}; target: within ×1.3 of the raw INSERT)`, results, 'pg: one awaited single-row INSERT');
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => {});
    await pool.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await seedParity();
