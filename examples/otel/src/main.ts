// OpenTelemetry both ways, on one embedded PostgreSQL (PGlite, no server needed):
//   1. mirror out: a chatdebug run with a generate step shows up as GenAI spans in an OTel exporter;
//   2. ingest: Vercel AI SDK calls (a mock model, telemetry on) are recorded as a chatdebug run.
// Run it: pnpm --filter @chatdebug/example-otel start
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { BasicTracerProvider, ConsoleSpanExporter, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { generateText, streamText } from 'ai';
import { MockLanguageModelV3, convertArrayToReadableStream } from 'ai/test';
import type { DebugService, StepRecord } from '@chatdebug/sdk';
import { createTracer, newId } from '@chatdebug/sdk';
import { openEmbedded } from '@chatdebug/exporter-postgres';
import { ChatDebugSpanProcessor, createOtelMirror } from '@chatdebug/otel';

/** Options of {@link main}. */
export interface MainOptions {
  /** Also print every mirrored span with OTel's ConsoleSpanExporter. */
  console?: boolean;
}

const USAGE = {
  inputTokens: { total: 14, noCache: 14, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 9, text: 9, reasoning: undefined },
};

export async function main(options: MainOptions = {}): Promise<string> {
  const lines: string[] = [];
  // OTel needs a context manager to propagate the active span across awaits (the AI SDK relies on it).
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const db = await openEmbedded();
  try {
    // ---- 1. Mirror out: chatdebug run → OTel spans -------------------------------------------
    const spans = new InMemorySpanExporter();
    const mirrorProvider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(spans), ...(options.console ? [new SimpleSpanProcessor(new ConsoleSpanExporter())] : [])],
    });
    const tracer = createTracer({ exporter: db.exporter, eventBus: db.eventBus, listeners: [createOtelMirror({ tracerProvider: mirrorProvider })] });
    const app = mirrorProvider.getTracer('example-app');

    const mirroredChat = newId();
    await app.startActiveSpan('POST /api/chat', async (request) => {
      await tracer.run({ chatId: mirroredChat, kind: 'chat_turn', label: 'Plan my day', provider: 'openai', model: 'gpt-4o' }, async () => {
        await tracer.traceCall(
          {
            request: { messages: [{ role: 'user', parts: [{ type: 'text', text: 'Plan my day' }] }], options: { temperature: 0.2 } },
            result: (text: string) => ({
              response: { content: [{ type: 'text', text }], finish_reason: 'stop' },
              usage: { input_tokens: 11, output_tokens: 6, total_tokens: 17 },
            }),
          },
          async () => {
            // Any span made here (an HTTP client span, say) nests under the step's span.
            app.startActiveSpan('POST https://api.openai.com/v1/chat/completions', (http) => http.end());
            return 'Coffee, code, walk.';
          },
        );
      });
      request.end();
    });
    await tracer.forceFlush();
    lines.push('1. chatdebug run mirrored as OpenTelemetry spans:');
    lines.push(...formatSpans(spans.getFinishedSpans()));

    // ---- 2. Ingest: AI SDK spans → chatdebug run in PGlite -----------------------------------
    const processor = new ChatDebugSpanProcessor({ tracer });
    const aiProvider = new BasicTracerProvider({ spanProcessors: [processor] });
    const otel = aiProvider.getTracer('example-ai');
    const chatId = newId();
    const telemetry = { isEnabled: true, tracer: otel, metadata: { chatId } };
    await otel.startActiveSpan('agent turn', async (turn) => {
      const plan = await generateText({
        model: new MockLanguageModelV3({
          provider: 'mock',
          modelId: 'mock-large',
          doGenerate: { content: [{ type: 'text', text: 'Step 1: fetch. Step 2: summarize.' }], finishReason: { unified: 'stop', raw: 'stop' }, usage: USAGE, warnings: [] },
        }),
        prompt: 'Summarize the news',
        experimental_telemetry: telemetry,
      });
      const summary = streamText({
        model: new MockLanguageModelV3({
          provider: 'mock',
          modelId: 'mock-large',
          doStream: {
            stream: convertArrayToReadableStream([
              { type: 'stream-start', warnings: [] },
              { type: 'text-start', id: 't' },
              { type: 'text-delta', id: 't', delta: 'Markets up, ' },
              { type: 'text-delta', id: 't', delta: 'rain tomorrow.' },
              { type: 'text-end', id: 't' },
              { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: USAGE },
            ]),
          },
        }),
        prompt: `Follow this plan: ${plan.text}`,
        experimental_telemetry: telemetry,
      });
      await summary.consumeStream();
      turn.end();
    });
    await processor.shutdown();
    await tracer.shutdown();

    lines.push('', '2. AI SDK calls recorded as a chatdebug run (read back from PGlite):');
    lines.push(...(await formatChat(tracer.service, chatId)));
    const stats = processor.stats();
    lines.push(`   processor: runs=${stats.runsRecorded} steps=${stats.stepsRecorded} skipped(no chat id)=${stats.skipped.noChatId} written=${stats.pipeline.written}`);
    await mirrorProvider.shutdown();
    await aiProvider.shutdown();
  } finally {
    await db.close();
    context.disable();
  }
  return lines.join('\n');
}

/** The spans as an indented tree, with the GenAI and chatdebug attributes worth seeing. */
function formatSpans(spans: readonly ReadableSpan[]): string[] {
  const byParent = new Map<string | undefined, ReadableSpan[]>();
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId;
    const key = parent !== undefined && ids.has(parent) ? parent : undefined;
    byParent.set(key, [...(byParent.get(key) ?? []), span]);
  }
  const shown = [
    'gen_ai.operation.name',
    'gen_ai.provider.name',
    'gen_ai.request.model',
    'gen_ai.usage.input_tokens',
    'gen_ai.usage.output_tokens',
    'gen_ai.response.finish_reasons',
    'chatdebug.step_number',
    'chatdebug.status',
  ];
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number): void => {
    for (const span of byParent.get(parent) ?? []) {
      const attributes = shown
        .filter((key) => span.attributes[key] !== undefined)
        .map((key) => `${key.replace(/^gen_ai\.|^chatdebug\./, '')}=${JSON.stringify(span.attributes[key])}`);
      lines.push(`${'   '.repeat(depth + 1)}${span.name}${attributes.length > 0 ? `  ${attributes.join(' ')}` : ''}`);
      walk(span.spanContext().spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines;
}

/** The chat's runs and steps, as stored. */
async function formatChat(service: DebugService, chatId: string): Promise<string[]> {
  const lines: string[] = [];
  for (const run of await service.listRuns(chatId)) {
    const steps = await service.listSteps(run.id);
    const millis = (run.finishedAt?.getTime() ?? run.startedAt.getTime()) - run.startedAt.getTime();
    lines.push(`   run ${run.kind} ${run.status} provider=${run.provider} model=${run.model} "${String(run.summary.first_message ?? '')}" steps=${steps.length} (${millis} ms)`);
    for (const step of steps) lines.push(`      ${formatStep(step)}`);
  }
  return lines;
}

function formatStep(step: StepRecord): string {
  const usage = (step.usage ?? {}) as { input_tokens?: number; output_tokens?: number };
  const response = (step.normalizedResponse ?? {}) as { content?: Array<{ text?: string }>; finish_reason?: string };
  const text = (response.content ?? []).map((part) => part.text ?? '').join('');
  return `${step.stepNumber} ${step.operation} ${step.status} finish=${response.finish_reason ?? '-'} tokens=${usage.input_tokens ?? 0}→${usage.output_tokens ?? 0} "${text}"`;
}

const isEntryPoint = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isEntryPoint) {
  console.log(await main({ console: process.argv.includes('--console') }));
}
