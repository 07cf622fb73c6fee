import { createTracer, newId } from '@chatdebug/sdk';
import { openEmbedded } from '@chatdebug/exporter-postgres';

const store = await openEmbedded(); // in memory; or openPostgres({ connectionString: process.env.DATABASE_URL! })
const tracer = createTracer({ exporter: store.exporter, eventBus: store.eventBus });
const run = tracer.startRun({ chatId: newId(), kind: 'chat_turn', model: 'gpt-4o', label: 'Hi there' });
const step = run.startStep({ operation: 'generate', request: { messages: [{ role: 'user', content: 'Hi there' }] } });
step.end({ response: { content: 'Hello!' }, usage: { input_tokens: 3, output_tokens: 2 } });
run.end();
await tracer.forceFlush(); // the writes above are now committed
const { run: stored, steps } = (await tracer.service.getRun(run.id))!;
console.log(stored.status, stored.summary, steps.map((s) => [s.stepNumber, s.status, s.normalizedResponse]));
await store.close();
