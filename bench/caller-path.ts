// E1: what a traced call costs the caller. startRun + startStep + step.end + run.end with about ten
// fields on an enabled tracer (writes only queued; the exporter works between rounds, untimed),
// next to the same two spans (run span, child step span with ten attributes) on OpenTelemetry's
// sdk-trace-base with a BatchSpanProcessor and an exporter that discards, measured in one run.
import { context, trace } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createTracer } from '@chatdebug/sdk';
import { MemoryExporter } from '@chatdebug/testing';
import { machine, measure, printTable } from './measure.js';

const CHAT = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const ITERATIONS = 2_000;

class DiscardingSpanExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: (result: { code: number }) => void): void {
    done({ code: 0 });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export async function callerPath(): Promise<void> {
  const exporter = new MemoryExporter();
  const tracer = createTracer({ exporter, pipeline: { maxQueueSize: 10 * ITERATIONS } });
  const provider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(new DiscardingSpanExporter(), { maxQueueSize: 4 * ITERATIONS, maxExportBatchSize: 512 })],
  });
  const otel = provider.getTracer('bench');

  const chatdebugOnce = (i: number): void => {
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn', label: 'What is the weather in Oslo?', provider: 'openai', model: 'gpt-4o-mini' });
    const step = run.startStep({
      operation: 'generate',
      request: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'What is the weather in Oslo?' }], temperature: 0.2 },
    });
    step.end({
      response: { role: 'assistant', content: 'Sunny, 18°C.', finish_reason: 'stop' },
      usage: { input_tokens: 12 + (i & 7), output_tokens: 5, total_tokens: 17 + (i & 7) },
    });
    run.end();
  };
  const otelOnce = (i: number): void => {
    const runSpan = otel.startSpan('chat_turn', { attributes: { 'chatdebug.chat_id': CHAT, 'chatdebug.label': 'What is the weather in Oslo?' } });
    const step = otel.startSpan('chat gpt-4o-mini', {}, trace.setSpan(context.active(), runSpan));
    step.setAttributes({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.response.model': 'gpt-4o-mini',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 12 + (i & 7),
      'gen_ai.usage.output_tokens': 5,
      'chatdebug.step_number': 1,
      'chatdebug.operation': 'generate',
    });
    step.end();
    runSpan.end();
  };

  const results = await measure(
    [
      {
        name: 'OpenTelemetry: run span + step span, 10 attributes',
        run(iterations) {
          for (let i = 0; i < iterations; i++) otelOnce(i);
        },
        settle: () => provider.forceFlush(),
      },
      {
        name: 'chatdebug: startRun + startStep + end + end',
        run(iterations) {
          for (let i = 0; i < iterations; i++) chatdebugOnce(i);
        },
        settle: async () => {
          await tracer.forceFlush();
          exporter.reset();
        },
      },
    ],
    { iterations: ITERATIONS, rounds: 30 },
  );
  printTable(`caller-path, E1 (${machine()})`, results, 'OpenTelemetry: run span + step span, 10 attributes');

  // Per-call tail latency: each call timed on its own, the queue drained between batches.
  const latencies: number[] = [];
  for (let batch = 0; batch < 20; batch++) {
    for (let i = 0; i < 500; i++) {
      const start = process.hrtime.bigint();
      chatdebugOnce(i);
      latencies.push(Number(process.hrtime.bigint() - start));
    }
    await tracer.forceFlush();
    exporter.reset();
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number): string => (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))]! / 1000).toFixed(1);
  console.log(`  chatdebug per call (${latencies.length} calls): p50 ${at(0.5)} µs, p99 ${at(0.99)} µs, max ${at(1)} µs (target p99 ≤ 50 µs)`);
  const stats = tracer.stats();
  await tracer.shutdown();
  await provider.shutdown();
  if (stats.pipeline.failed > 0 || stats.pipeline.dropped.queueFull > 0) console.log('  warning: the pipeline failed or dropped writes during the benchmark', stats.pipeline);
}

if (import.meta.url === `file://${process.argv[1]}`) await callerPath();
