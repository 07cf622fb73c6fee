// The cost of tracing when it is switched off: startRun + startStep + step.end + run.end on a
// disabled tracer, next to an empty function call, measured side by side in one run.
import { createTracer } from '@chatdebug/sdk';
import { MemoryExporter } from '@chatdebug/testing';
import { machine, measure, printTable } from './measure.js';

const CHAT = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

export async function disabledOverhead(): Promise<void> {
  const tracer = createTracer({ exporter: new MemoryExporter(), enabled: false });
  let sink = 0;
  const empty = (value: number): number => value + 1;
  const results = await measure(
    [
      {
        name: 'empty function call',
        run(iterations) {
          for (let i = 0; i < iterations; i++) sink = empty(sink);
        },
      },
      {
        name: 'disabled: startRun + startStep + end + end',
        run(iterations) {
          for (let i = 0; i < iterations; i++) {
            const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
            const step = run.startStep({ request: { i } });
            step.end({ usage: { input_tokens: 1 } });
            run.end();
          }
        },
      },
    ],
    { iterations: 100_000, rounds: 30 },
  );
  printTable(`disabled-overhead (${machine()})`, results, 'empty function call');
  if (sink < 0) console.log(sink);
}

if (import.meta.url === `file://${process.argv[1]}`) await disabledOverhead();
