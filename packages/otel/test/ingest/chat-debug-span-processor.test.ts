import type { Tracer as OtelTracer } from '@opentelemetry/api';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import { MockLanguageModelV3, convertArrayToReadableStream } from 'ai/test';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RunRecord, SpanListener, StepRecord, Tracer } from '@chatdebug/sdk';
import { DebugService, InvalidArgumentError, createTracer, newId, silentLogger, withRun } from '@chatdebug/sdk';
import { MemoryExporter, MockClock } from '@chatdebug/testing';
import type { ChatDebugSpanProcessorOptions } from '@chatdebug/otel';
import { ChatDebugSpanProcessor, createOtelMirror } from '@chatdebug/otel';

const USAGE = {
  inputTokens: { total: 10, noCache: 8, cacheRead: 2, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};

function textModel(text: string): MockLanguageModelV3 {
  return new MockLanguageModelV3({
    provider: 'mock-provider',
    modelId: 'mock-model',
    doGenerate: {
      content: [{ type: 'text', text }],
      finishReason: { unified: 'stop', raw: 'stop' },
      usage: USAGE,
      warnings: [],
      response: { id: 'resp-1', modelId: 'mock-model-2026-01', timestamp: new Date(0) },
    },
  });
}

function streamModel(deltas: readonly string[]): MockLanguageModelV3 {
  return new MockLanguageModelV3({
    provider: 'mock-provider',
    modelId: 'mock-stream-model',
    doStream: {
      stream: convertArrayToReadableStream([
        { type: 'stream-start', warnings: [] },
        { type: 'text-start', id: 't1' },
        ...deltas.map((delta) => ({ type: 'text-delta' as const, id: 't1', delta })),
        { type: 'text-end', id: 't1' },
        { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: USAGE },
      ]),
    },
  });
}

interface Harness {
  exporter: MemoryExporter;
  clock: MockClock;
  tracer: Tracer;
  processor: ChatDebugSpanProcessor;
  spans: InMemorySpanExporter;
  provider: BasicTracerProvider;
  otel: OtelTracer;
}

function setup(options: Omit<ChatDebugSpanProcessorOptions, 'tracer' | 'service'> & { tracer?: Tracer; exporter?: MemoryExporter } = {}): Harness {
  const exporter = options.exporter ?? new MemoryExporter();
  const clock = new MockClock();
  const tracer = options.tracer ?? createTracer({ exporter, clock, logger: silentLogger });
  const processor = new ChatDebugSpanProcessor({ ...options, tracer });
  const spans = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [processor, new SimpleSpanProcessor(spans)] });
  return { exporter, clock, tracer, processor, spans, provider, otel: provider.getTracer('test') };
}

function finished(spans: InMemorySpanExporter, name: string): ReadableSpan[] {
  return spans.getFinishedSpans().filter((span) => span.name === name);
}

function only<T>(items: readonly T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

function startOf(span: ReadableSpan): number {
  return span.startTime[0] * 1000 + Math.floor(span.startTime[1] / 1e6);
}

function endOf(span: ReadableSpan): number {
  return span.endTime[0] * 1000 + Math.floor(span.endTime[1] / 1e6);
}

function single(exporter: MemoryExporter): { run: RunRecord; steps: StepRecord[] } {
  const run = only(exporter.runs());
  return { run, steps: exporter.steps(run.id) };
}

describe('ChatDebugSpanProcessor with the Vercel AI SDK', () => {
  beforeEach(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  afterEach(() => {
    context.disable();
  });

  it('records generateText as a run with one generate step, timed by its spans', async () => {
    const { exporter, processor, spans, otel } = setup();
    const chatId = newId();
    const result = await generateText({
      model: textModel('Hi there!'),
      prompt: 'Hello, who are you?',
      temperature: 0.3,
      experimental_telemetry: { isEnabled: true, tracer: otel, metadata: { chatId } },
    });
    expect(result.text).toBe('Hi there!');
    await processor.forceFlush();

    const root = only(finished(spans, 'ai.generateText'));
    const call = only(finished(spans, 'ai.generateText.doGenerate'));
    const { run, steps } = single(exporter);
    const step = only(steps);
    expect(run).toMatchObject({
      chatId,
      kind: 'chat_turn',
      status: 'completed',
      provider: 'mock-provider',
      model: 'mock-model',
    });
    expect(run.startedAt.getTime()).toBe(startOf(root));
    expect(run.finishedAt?.getTime()).toBe(endOf(root));
    expect(run.summary).toMatchObject({ first_message: 'Hello, who are you?', step_count: 1, total_input_tokens: 10, total_output_tokens: 5 });

    expect(step).toMatchObject({ stepNumber: 1, operation: 'generate', status: 'completed', error: null });
    expect(step.startedAt.getTime()).toBe(startOf(call));
    expect(step.finishedAt?.getTime()).toBe(endOf(call));
    expect(step.usage).toEqual({ input_tokens: 10, output_tokens: 5, total_tokens: 15, cache_read_tokens: 2 });
    expect(step.normalizedRequest).toEqual({
      messages: [{ role: 'user', parts: [{ type: 'text', text: 'Hello, who are you?' }] }],
      options: { temperature: 0.3 },
    });
    expect(step.normalizedResponse).toMatchObject({
      content: [{ type: 'text', text: 'Hi there!' }],
      finish_reason: 'stop',
      usage: { input_tokens: 10, output_tokens: 5 },
    });
    expect(step.metadata).toMatchObject({
      provider: 'mock-provider',
      model: 'mock-model',
      response_model: 'mock-model-2026-01',
      response_id: 'resp-1',
      otel: { span_id: call.spanContext().spanId, trace_id: call.spanContext().traceId, span_name: 'ai.generateText.doGenerate' },
    });
    expect(processor.stats()).toMatchObject({ runsRecorded: 1, stepsRecorded: 1, callbackErrors: 0, internalErrors: 0 });
  });

  it('records streamText as a stream step with the streamed text, finish reason and usage', async () => {
    const { exporter, processor, spans, otel } = setup();
    const chatId = newId();
    const result = streamText({
      model: streamModel(['Hel', 'lo', '!']),
      prompt: 'Greet me',
      experimental_telemetry: { isEnabled: true, tracer: otel, metadata: { chatId } },
    });
    expect(await result.text).toBe('Hello!');
    await result.consumeStream();
    await processor.forceFlush();

    const call = only(finished(spans, 'ai.streamText.doStream'));
    const root = only(finished(spans, 'ai.streamText'));
    const { run, steps } = single(exporter);
    const step = only(steps);
    expect(run).toMatchObject({ chatId, status: 'completed', model: 'mock-stream-model' });
    expect(run.finishedAt?.getTime()).toBe(endOf(root));
    expect(step).toMatchObject({ operation: 'stream', status: 'completed' });
    expect(step.startedAt.getTime()).toBe(startOf(call));
    expect(step.finishedAt?.getTime()).toBe(endOf(call));
    expect(step.normalizedResponse).toMatchObject({ content: [{ type: 'text', text: 'Hello!' }], finish_reason: 'stop' });
    expect(step.usage).toMatchObject({ input_tokens: 10, output_tokens: 5 });
  });

  it('records every step of a tool loop, numbered in order, with the tool call', async () => {
    const { exporter, processor, otel } = setup();
    const chatId = newId();
    const model = new MockLanguageModelV3({
      provider: 'mock-provider',
      modelId: 'mock-model',
      doGenerate: [
        {
          content: [{ type: 'tool-call', toolCallId: 'call-1', toolName: 'weather', input: JSON.stringify({ city: 'Oslo' }) }],
          finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
          usage: USAGE,
          warnings: [],
        },
        {
          content: [{ type: 'text', text: 'It is 3°C in Oslo.' }],
          finishReason: { unified: 'stop', raw: 'stop' },
          usage: USAGE,
          warnings: [],
        },
      ],
    });
    const result = await generateText({
      model,
      prompt: 'Weather in Oslo?',
      tools: {
        weather: tool({
          description: 'Current weather',
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }) => ({ city, celsius: 3 }),
        }),
      },
      stopWhen: stepCountIs(2),
      experimental_telemetry: { isEnabled: true, tracer: otel, metadata: { chatId } },
    });
    expect(result.text).toBe('It is 3°C in Oslo.');
    await processor.forceFlush();

    const { run, steps } = single(exporter);
    expect(steps.map((step) => [step.stepNumber, step.status])).toEqual([
      [1, 'completed'],
      [2, 'completed'],
    ]);
    expect(steps[0]?.normalizedResponse).toMatchObject({
      content: [{ type: 'tool_call', tool_call_id: 'call-1', tool_name: 'weather', arguments: '{"city":"Oslo"}' }],
      finish_reason: 'tool-calls',
    });
    expect(steps[0]?.normalizedRequest).toMatchObject({ tools: [{ type: 'function', name: 'weather', description: 'Current weather', has_input_schema: true }] });
    const secondMessages = (steps[1]?.normalizedRequest as { messages: Array<{ role: string }> }).messages;
    expect(secondMessages.map((message) => message.role)).toEqual(['user', 'assistant', 'tool']);
    expect(run.summary).toMatchObject({ step_count: 2, total_input_tokens: 20, total_output_tokens: 10 });
  });

  it('records a failing model call as an error step in an error run', async () => {
    const { exporter, processor, otel } = setup();
    const chatId = newId();
    const model = new MockLanguageModelV3({
      doGenerate: async () => {
        throw new Error('upstream exploded');
      },
    });
    await expect(
      generateText({ model, prompt: 'Hi', maxRetries: 0, experimental_telemetry: { isEnabled: true, tracer: otel, metadata: { chatId } } }),
    ).rejects.toThrow('upstream exploded');
    await processor.forceFlush();

    const { run, steps } = single(exporter);
    const step = only(steps);
    expect(step.status).toBe('error');
    expect(step.error).toEqual({ message: 'upstream exploded', type: 'Error' });
    expect(run.status).toBe('error');
    expect(run.summary).toMatchObject({ has_error: true });
  });

  it('records a stream error chunk as an error step with the generic finish-reason error (the AI SDK keeps no more)', async () => {
    const { exporter, processor, otel } = setup();
    const model = new MockLanguageModelV3({
      doStream: {
        stream: convertArrayToReadableStream([
          { type: 'stream-start', warnings: [] },
          { type: 'error', error: new Error('overloaded') },
        ]),
      },
    });
    const result = streamText({ model, prompt: 'Hi', onError: () => {}, experimental_telemetry: { isEnabled: true, tracer: otel, metadata: { chatId: newId() } } });
    await result.consumeStream();
    await processor.forceFlush();

    const step = only(single(exporter).steps);
    expect(step).toMatchObject({ status: 'error', error: { message: 'the model reported an error (finish reason "error")', type: 'FinishReasonError' } });
    expect(JSON.stringify(step)).not.toContain('overloaded');
  });

  it('records model calls inside an active chatdebug run as steps of that run, timed by their spans', async () => {
    const { exporter, processor, tracer, spans, otel } = setup();
    const chatId = newId();
    // The run ends in the same microtask flush as the last call returns: the steps must be in it.
    await tracer.run({ chatId, kind: 'chat_turn', label: 'joined' }, async () => {
      await generateText({ model: textModel('one'), prompt: 'first', experimental_telemetry: { isEnabled: true, tracer: otel } });
      await generateText({ model: textModel('two'), prompt: 'second', experimental_telemetry: { isEnabled: true, tracer: otel } });
    });
    await processor.forceFlush();

    const { run, steps } = single(exporter);
    expect(run).toMatchObject({ chatId, status: 'completed' });
    expect(steps.map((step) => [step.stepNumber, step.status, (step.normalizedResponse as { content: Array<{ text: string }> }).content[0]?.text])).toEqual([
      [1, 'completed', 'one'],
      [2, 'completed', 'two'],
    ]);
    const calls = finished(spans, 'ai.generateText.doGenerate');
    // The tracer's MockClock stands still at 2026-01-01: these times can only come from the spans.
    expect(steps.map((step) => [step.startedAt.getTime(), step.finishedAt?.getTime()])).toEqual(calls.map((call) => [startOf(call), endOf(call)]));
    expect(processor.stats()).toMatchObject({ runsRecorded: 0, stepsRecorded: 0, stepsJoined: 2 });
  });

  it('does not join an active run of another chat: the call becomes a run of its own', async () => {
    const { exporter, processor, tracer, otel } = setup();
    const activeChat = newId();
    const otherChat = newId();
    await tracer.run({ chatId: activeChat, kind: 'chat_turn' }, async () => {
      await generateText({ model: textModel('mine'), prompt: 'same chat', experimental_telemetry: { isEnabled: true, tracer: otel, metadata: { chatId: activeChat } } });
      await generateText({ model: textModel('theirs'), prompt: 'other chat', experimental_telemetry: { isEnabled: true, tracer: otel, metadata: { chatId: otherChat } } });
    });
    await processor.forceFlush();

    const active = only(exporter.runs().filter((run) => run.chatId === activeChat));
    const other = only(exporter.runs().filter((run) => run.chatId === otherChat));
    expect(only(exporter.steps(active.id)).normalizedResponse).toMatchObject({ content: [{ text: 'mine' }] });
    expect(only(exporter.steps(other.id)).normalizedResponse).toMatchObject({ content: [{ text: 'theirs' }] });
    expect(other).toMatchObject({ status: 'completed', summary: { first_message: 'other chat' } });
    expect(processor.stats()).toMatchObject({ runsRecorded: 1, stepsRecorded: 1, stepsJoined: 1 });
  });

  it('records an aborted streamText as interrupted once the grace period for its never-ended stream span is over', async () => {
    const { exporter, clock, processor, spans, otel } = setup({ orphanStepGraceMillis: 5_000 });
    const chatId = newId();
    const controller = new AbortController();
    const model = new MockLanguageModelV3({
      provider: 'mock-provider',
      modelId: 'mock-stream-model',
      doStream: async ({ abortSignal }) => ({
        stream: new ReadableStream({
          start(stream) {
            stream.enqueue({ type: 'stream-start', warnings: [] });
            stream.enqueue({ type: 'text-start', id: 't1' });
            stream.enqueue({ type: 'text-delta', id: 't1', delta: 'Once upon' });
            // Like a provider's fetch: the body fails when the request is aborted, and never finishes otherwise.
            abortSignal?.addEventListener('abort', () => stream.error(abortSignal.reason));
          },
        }),
      }),
    });
    const result = streamText({ model, prompt: 'Tell me a long story', abortSignal: controller.signal, experimental_telemetry: { isEnabled: true, tracer: otel, metadata: { chatId } } });
    const parts: string[] = [];
    for await (const part of result.fullStream) {
      parts.push(part.type);
      if (part.type === 'text-delta') controller.abort();
    }
    await Promise.resolve(result.finishReason).catch(() => undefined);
    await processor.forceFlush();

    expect(parts).toContain('abort');
    const root = only(finished(spans, 'ai.streamText'));
    expect(root.status.code).toBe(SpanStatusCode.UNSET);
    // The AI SDK never ends the doStream span of an aborted stream.
    expect(finished(spans, 'ai.streamText.doStream')).toEqual([]);
    expect(single(exporter).run.status).toBe('in_progress');
    expect(processor.stats().waitingRuns).toBe(1);

    clock.advance(4_999);
    await processor.forceFlush();
    expect(single(exporter).run.status).toBe('in_progress');

    clock.advance(1);
    await processor.forceFlush();
    const { run, steps } = single(exporter);
    expect(run).toMatchObject({ status: 'interrupted', finishedAt: new Date(endOf(root)), summary: { step_count: 1 } });
    expect(only(steps)).toMatchObject({ operation: 'stream', status: 'interrupted', finishedAt: new Date(endOf(root)) });
    expect(processor.stats()).toMatchObject({ orphanedSteps: 1, waitingRuns: 0, internalErrors: 0 });
  });

  it('shares one provider with the mirror: AI SDK calls in a mirrored run join it, nothing loops', async () => {
    const exporter = new MemoryExporter();
    const spans = new InMemorySpanExporter();
    const mirrorTarget: { processor?: ChatDebugSpanProcessor } = {};
    const provider = new BasicTracerProvider({
      spanProcessors: [
        {
          onStart: (span, parent) => mirrorTarget.processor?.onStart(span, parent),
          onEnd: (span) => mirrorTarget.processor?.onEnd(span),
          forceFlush: async () => mirrorTarget.processor?.forceFlush(),
          shutdown: async () => mirrorTarget.processor?.shutdown(),
        },
        new SimpleSpanProcessor(spans),
      ],
    });
    const tracer = createTracer({ exporter, clock: new MockClock(), logger: silentLogger, listeners: [createOtelMirror({ tracerProvider: provider })] });
    const processor = new ChatDebugSpanProcessor({ tracer });
    mirrorTarget.processor = processor;
    const chatId = newId();
    await tracer.run({ chatId, kind: 'chat_turn', model: 'mock-model' }, async () => {
      await generateText({ model: textModel('joined'), prompt: 'x', experimental_telemetry: { isEnabled: true, tracer: provider.getTracer('ai') } });
    });
    await processor.forceFlush();

    const { run, steps } = single(exporter);
    expect(run.chatId).toBe(chatId);
    expect(only(steps)).toMatchObject({ status: 'completed', usage: { input_tokens: 10, output_tokens: 5 } });
    const runSpan = only(finished(spans, 'chat_turn'));
    const aiRoot = only(finished(spans, 'ai.generateText'));
    expect(aiRoot.parentSpanContext?.spanId).toBe(runSpan.spanContext().spanId);
    expect(processor.stats()).toMatchObject({ runsRecorded: 0, stepsJoined: 1 });
  });

  it('skips spans without a chat id and counts them', async () => {
    const { exporter, processor, otel } = setup();
    await generateText({ model: textModel('hi'), prompt: 'Hi', experimental_telemetry: { isEnabled: true, tracer: otel } });
    await processor.forceFlush();
    expect(exporter.runs()).toEqual([]);
    expect(processor.stats().skipped.noChatId).toBe(1);
  });

  it('does not record twice what chatdebug already mirrors to the same provider', async () => {
    const exporter = new MemoryExporter();
    const spans = new InMemorySpanExporter();
    const processors: ChatDebugSpanProcessor[] = [];
    const provider = new BasicTracerProvider({
      spanProcessors: [
        {
          onStart: (span, parent) => processors[0]?.onStart(span, parent),
          onEnd: (span) => processors[0]?.onEnd(span),
          forceFlush: async () => processors[0]?.forceFlush(),
          shutdown: async () => processors[0]?.shutdown(),
        },
        new SimpleSpanProcessor(spans),
      ],
    });
    const tracer = createTracer({ exporter, clock: new MockClock(), logger: silentLogger, listeners: [createOtelMirror({ tracerProvider: provider })] });
    const processor = new ChatDebugSpanProcessor({ tracer });
    processors.push(processor);
    const otel = provider.getTracer('ai');
    await tracer.run({ chatId: newId(), kind: 'chat_turn', model: 'gpt-4o' }, async () => {
      await tracer.traceCall({ request: { messages: [] } }, async () => {
        // An AI SDK call inside a chatdebug step: the step already records it.
        await generateText({ model: textModel('inner'), prompt: 'x', experimental_telemetry: { isEnabled: true, tracer: otel } });
        return { content: [], finish_reason: 'stop' };
      });
    });
    await processor.forceFlush();

    const { steps } = single(exporter);
    expect(steps).toHaveLength(1);
    expect(finished(spans, 'chat gpt-4o')).toHaveLength(1);
    expect(processor.stats()).toMatchObject({ runsRecorded: 0, stepsRecorded: 0, stepsJoined: 0 });
    expect(processor.stats().skipped.recordedByChatdebug).toBe(2);
  });
});

describe('ChatDebugSpanProcessor with plain GenAI spans', () => {
  const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);

  function chatSpan(otel: OtelTracer, parent: ReturnType<typeof trace.setSpan>, start: number, attributes: Record<string, string | number>) {
    return otel.startSpan(
      'chat gpt-4o',
      {
        kind: SpanKind.CLIENT,
        startTime: new Date(start),
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', ...attributes },
      },
      parent,
    );
  }

  it('records a root span with GenAI children as a run with exact times, without a context manager', async () => {
    const { exporter, processor, otel } = setup();
    const chatId = newId();
    const root = otel.startSpan('agent turn', { startTime: new Date(T0), attributes: { 'chatdebug.chat_id': chatId } });
    const parent = trace.setSpan(ROOT_CONTEXT, root);
    const call = chatSpan(otel, parent, T0 + 100, {
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'What is 2+2?' }] }]),
      'gen_ai.request.max_tokens': 64,
    });
    call.setAttributes({
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 20,
      'gen_ai.usage.output_tokens': 7,
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: '4' }], finish_reason: 'stop' }]),
    });
    call.end(new Date(T0 + 900));
    const second = chatSpan(otel, parent, T0 + 950, { 'gen_ai.operation.name': 'stream' });
    second.setStatus({ code: SpanStatusCode.ERROR, message: 'connection reset' });
    second.end(new Date(T0 + 980));
    root.end(new Date(T0 + 1000));

    // Nothing is written on the caller's path.
    expect(exporter.runs()).toEqual([]);
    expect(processor.stats().pendingSpans).toBeGreaterThan(0);
    await processor.forceFlush();

    const { run, steps } = single(exporter);
    expect(run).toMatchObject({ chatId, kind: 'chat_turn', status: 'completed', provider: 'openai', model: 'gpt-4o', summary: { first_message: 'What is 2+2?', has_error: true } });
    expect(run.startedAt).toEqual(new Date(T0));
    expect(run.finishedAt).toEqual(new Date(T0 + 1000));
    const [first, failed] = steps;
    expect(first).toMatchObject({ stepNumber: 1, operation: 'generate', status: 'completed', usage: { input_tokens: 20, output_tokens: 7, total_tokens: 27 } });
    expect(first?.startedAt).toEqual(new Date(T0 + 100));
    expect(first?.finishedAt).toEqual(new Date(T0 + 900));
    expect(first?.normalizedRequest).toEqual({
      messages: [{ role: 'user', parts: [{ type: 'text', text: 'What is 2+2?' }] }],
      options: { max_output_tokens: 64 },
    });
    expect(first?.normalizedResponse).toMatchObject({ content: [{ type: 'text', text: '4' }], finish_reason: 'stop' });
    expect(first?.metadata).toMatchObject({ response_model: 'gpt-4o-2024-08-06' });
    expect(failed).toMatchObject({ stepNumber: 2, operation: 'stream', status: 'error', error: { message: 'connection reset', type: 'Error' } });
    expect(failed?.finishedAt).toEqual(new Date(T0 + 980));
  });

  it('waits for steps that end after their run span, then finalizes at the run span end time', async () => {
    const { exporter, processor, otel } = setup();
    const chatId = newId();
    const root = otel.startSpan('turn', { startTime: new Date(T0), attributes: { 'gen_ai.conversation.id': chatId } });
    const call = chatSpan(otel, trace.setSpan(ROOT_CONTEXT, root), T0 + 10, {});
    root.end(new Date(T0 + 50));
    await processor.forceFlush();
    expect(single(exporter).run.status).toBe('in_progress');

    call.setAttribute('gen_ai.response.finish_reasons', ['stop']);
    call.end(new Date(T0 + 70));
    await processor.forceFlush();
    const { run, steps } = single(exporter);
    expect(run.status).toBe('completed');
    expect(run.finishedAt).toEqual(new Date(T0 + 50));
    expect(only(steps)).toMatchObject({ status: 'completed' });
  });

  it('records a lone model-call span as a run of its own, taking a chat id set after start', async () => {
    const { exporter, processor, otel } = setup();
    const chatId = newId();
    const call = chatSpan(otel, ROOT_CONTEXT, T0, {});
    call.setAttribute('chatdebug.chat_id', chatId);
    call.end(new Date(T0 + 5));
    await processor.forceFlush();
    const { run, steps } = single(exporter);
    expect(run).toMatchObject({ chatId, status: 'completed', startedAt: new Date(T0), finishedAt: new Date(T0 + 5) });
    expect(only(steps).finishedAt).toEqual(new Date(T0 + 5));
  });

  it('uses resolveChatId, isRunSpan and runKind, and fails closed when a callback throws', async () => {
    const chatId = newId();
    const { exporter, processor, otel } = setup({
      resolveChatId: (span) => {
        if (span.attributes['tenant'] === 'broken') throw new Error('resolver failed');
        return typeof span.attributes['conversation'] === 'string' ? chatId : undefined;
      },
      isRunSpan: (span) => span.name.startsWith('workflow'),
      runKind: (span) => (span.name === 'workflow title' ? 'title_generation' : undefined),
    });
    const http = otel.startSpan('GET /', { startTime: new Date(T0) });
    const workflow = otel.startSpan('workflow title', { startTime: new Date(T0 + 1), attributes: { conversation: 'c-1' } }, trace.setSpan(ROOT_CONTEXT, http));
    chatSpan(otel, trace.setSpan(ROOT_CONTEXT, workflow), T0 + 2, {}).end(new Date(T0 + 3));
    workflow.end(new Date(T0 + 4));
    http.end(new Date(T0 + 5));
    const broken = chatSpan(otel, ROOT_CONTEXT, T0 + 10, { tenant: 'broken' });
    expect(() => broken.end(new Date(T0 + 11))).not.toThrow();
    await processor.forceFlush();

    const { run, steps } = single(exporter);
    expect(run).toMatchObject({ chatId, kind: 'title_generation', startedAt: new Date(T0 + 1), finishedAt: new Date(T0 + 4) });
    expect(steps).toHaveLength(1);
    expect(processor.stats().callbackErrors).toBeGreaterThan(0);
  });

  it('joins an active run without reading the span in onStart or onEnd, at the span start and end times', async () => {
    const exporter = new MemoryExporter();
    const calls: string[] = [];
    const listener: SpanListener = {
      onStepStart: (_step, event) => calls.push(`start ${event.startTime.toISOString()}`),
      onStepEnd: (_step, event) => calls.push(`end ${event.status} ${event.endTime.toISOString()}`),
    };
    const tracer = createTracer({ exporter, clock: new MockClock(), logger: silentLogger, listeners: [listener] });
    const { processor, otel } = setup({ tracer });
    const chatId = newId();
    const past = Date.UTC(2020, 0, 1);
    const run = tracer.startRun({ chatId, kind: 'chat_turn' });
    const call = withRun(run, () =>
      chatSpan(otel, ROOT_CONTEXT, past, { 'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'a long prompt' }] }]) }),
    );
    expect(calls).toEqual([]);
    expect(processor.stats().pendingSpans).toBe(1);
    await processor.forceFlush();
    expect(calls).toEqual(['start 2020-01-01T00:00:00.000Z']);

    call.setAttribute('gen_ai.response.finish_reasons', ['stop']);
    call.end(new Date(past + 1500));
    expect(calls).toHaveLength(1);
    await processor.forceFlush();
    expect(calls).toEqual(['start 2020-01-01T00:00:00.000Z', 'end completed 2020-01-01T00:00:01.500Z']);

    run.end();
    await tracer.forceFlush();
    const step = only(exporter.steps(run.id));
    expect(step).toMatchObject({ status: 'completed', startedAt: new Date(past), finishedAt: new Date(past + 1500) });
    expect(step.normalizedRequest).toEqual({ messages: [{ role: 'user', parts: [{ type: 'text', text: 'a long prompt' }] }] });
    expect(processor.stats()).toMatchObject({ stepsJoined: 1, runsRecorded: 0 });
  });

  it('counts a joined call as late when its chatdebug run ended before the step could start', async () => {
    const { exporter, processor, tracer, otel } = setup();
    const run = tracer.startRun({ chatId: newId(), kind: 'chat_turn' });
    withRun(run, () => chatSpan(otel, ROOT_CONTEXT, T0, {}).end(new Date(T0 + 1)));
    // Synchronously, before any span job ran.
    run.end();
    await processor.forceFlush();
    expect(exporter.steps(run.id)).toEqual([]);
    expect(processor.stats()).toMatchObject({ stepsJoined: 0, skipped: { late: 1 }, internalErrors: 0 });
  });

  it('finds the chat id on spans above the run span, up to 32 spans up', async () => {
    const { exporter, processor, otel } = setup({ isRunSpan: () => false });
    const chatId = newId();
    // No span matches isRunSpan, so the model call is a run of its own; its parent has the chat id.
    const request = otel.startSpan('POST /chat', { startTime: new Date(T0), attributes: { 'chatdebug.chat_id': chatId } });
    chatSpan(otel, trace.setSpan(ROOT_CONTEXT, request), T0 + 1, {}).end(new Date(T0 + 2));
    request.end(new Date(T0 + 3));

    // 31 spans up is found; 32 spans up is past the bound.
    for (const depth of [31, 32]) {
      let parent = otel.startSpan('outer', { startTime: new Date(T0), attributes: { 'chatdebug.chat_id': chatId } });
      for (let level = 1; level < depth; level++) parent = otel.startSpan(`level ${level}`, { startTime: new Date(T0) }, trace.setSpan(ROOT_CONTEXT, parent));
      chatSpan(otel, trace.setSpan(ROOT_CONTEXT, parent), T0 + 10 * depth, {}).end(new Date(T0 + 10 * depth + 1));
    }
    await processor.forceFlush();

    const runs = exporter.runs();
    expect(runs.map((run) => [run.chatId, run.startedAt.getTime() - T0])).toEqual(
      expect.arrayContaining([
        [chatId, 1],
        [chatId, 310],
      ]),
    );
    expect(runs).toHaveLength(2);
    expect(processor.stats().skipped.noChatId).toBe(1);
  });

  it('records OpenLLMetry-style spans (gen_ai.system with llm.request.type) and their indexed messages', async () => {
    const { exporter, processor, otel } = setup();
    const chatId = newId();
    const call = otel.startSpan('openai.chat', {
      kind: SpanKind.CLIENT,
      startTime: new Date(T0),
      attributes: {
        'chatdebug.chat_id': chatId,
        'gen_ai.system': 'OpenAI',
        'llm.request.type': 'chat',
        'llm.is_streaming': true,
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.prompt.0.role': 'system',
        'gen_ai.prompt.0.content': 'Be brief.',
        'gen_ai.prompt.1.role': 'user',
        'gen_ai.prompt.1.content': 'Hello?',
      },
    });
    call.setAttributes({
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.usage.prompt_tokens': 9,
      'gen_ai.usage.completion_tokens': 3,
      'llm.usage.total_tokens': 12,
      'gen_ai.completion.0.role': 'assistant',
      'gen_ai.completion.0.content': 'Hi!',
      'gen_ai.completion.0.finish_reason': 'stop',
    });
    call.end(new Date(T0 + 40));
    // Not model calls: an embedding, and a request type without a GenAI system.
    otel.startSpan('openai.embeddings', { attributes: { 'chatdebug.chat_id': chatId, 'gen_ai.system': 'OpenAI', 'llm.request.type': 'embedding' } }).end();
    otel.startSpan('chat', { attributes: { 'chatdebug.chat_id': chatId, 'llm.request.type': 'chat' } }).end();
    await processor.forceFlush();

    const { run, steps } = single(exporter);
    expect(run).toMatchObject({ chatId, provider: 'OpenAI', model: 'gpt-4o-mini', summary: { first_message: 'Hello?' } });
    const step = only(steps);
    expect(step).toMatchObject({ operation: 'stream', status: 'completed', usage: { input_tokens: 9, output_tokens: 3, total_tokens: 12 } });
    expect(step.normalizedRequest).toEqual({
      messages: [
        { role: 'system', parts: [{ type: 'text', text: 'Be brief.' }] },
        { role: 'user', parts: [{ type: 'text', text: 'Hello?' }] },
      ],
    });
    expect(step.normalizedResponse).toMatchObject({ content: [{ type: 'text', text: 'Hi!' }], finish_reason: 'stop' });
  });

  it("arms the grace timer on the service's clock, unref'd, and clears it when the late step ends in time", async () => {
    const exporter = new MemoryExporter();
    const clock = new MockClock();
    const unrefs: number[] = [];
    const setTimeout = clock.setTimeout.bind(clock);
    clock.setTimeout = (callback, millis) => {
      const handle = setTimeout(callback, millis);
      handle.unref = () => {
        unrefs.push(millis);
        return handle;
      };
      return handle;
    };
    const service = new DebugService({ exporter, clock, logger: silentLogger });
    const processor = new ChatDebugSpanProcessor({ service, orphanStepGraceMillis: 750 });
    const otel = new BasicTracerProvider({ spanProcessors: [processor] }).getTracer('test');
    const root = otel.startSpan('turn', { startTime: new Date(T0), attributes: { 'chatdebug.chat_id': newId() } });
    const call = chatSpan(otel, trace.setSpan(ROOT_CONTEXT, root), T0 + 1, {});
    root.end(new Date(T0 + 2));
    await processor.forceFlush();
    expect(unrefs).toEqual([750]);
    expect(clock.nextDueMillis).toBe(clock.nowMillis() + 750);

    call.setAttribute('gen_ai.response.finish_reasons', ['stop']);
    call.end(new Date(T0 + 500));
    await processor.forceFlush();
    expect(clock.pendingTimers).toBe(0);
    expect(single(exporter).run.status).toBe('completed');
    expect(processor.stats()).toMatchObject({ orphanedSteps: 0, waitingRuns: 0 });
  });

  it('finalizes the oldest waiting run at once when maxWaitingRuns is reached, and counts it', async () => {
    const { exporter, processor, otel } = setup({ maxWaitingRuns: 2 });
    const open = [0, 1, 2].map((index) => {
      const root = otel.startSpan(`turn ${index}`, { startTime: new Date(T0 + index * 10), attributes: { 'chatdebug.chat_id': newId() } });
      const call = chatSpan(otel, trace.setSpan(ROOT_CONTEXT, root), T0 + index * 10 + 1, {});
      root.end(new Date(T0 + index * 10 + 2));
      return call;
    });
    await processor.forceFlush();

    const statuses = () => exporter.runs().sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime()).map((run) => run.status);
    expect(statuses()).toEqual(['interrupted', 'in_progress', 'in_progress']);
    expect(processor.stats()).toMatchObject({ evictedRuns: 1, orphanedSteps: 1, waitingRuns: 2 });

    // The evicted run's stream ends after all: its interrupted record stays; the others finish normally.
    for (const call of open) call.end(new Date(T0 + 100));
    await processor.forceFlush();
    expect(statuses()).toEqual(['interrupted', 'completed', 'completed']);
    const first = exporter.runs().find((run) => run.status === 'interrupted');
    expect(exporter.steps(first?.id)).toMatchObject([{ status: 'interrupted', finishedAt: new Date(T0 + 2) }]);
    expect(processor.stats()).toMatchObject({ waitingRuns: 0, internalErrors: 0 });
  });

  it('skips chat ids that are not UUIDs', async () => {
    const { exporter, processor, otel } = setup();
    chatSpan(otel, ROOT_CONTEXT, T0, { 'chatdebug.chat_id': 'not-a-uuid' }).end(new Date(T0 + 1));
    await processor.forceFlush();
    expect(exporter.runs()).toEqual([]);
    expect(processor.stats().skipped.invalid).toBe(1);
  });

  it('never throws from its callbacks, even for spans it never saw start', () => {
    const { processor } = setup();
    expect(() => processor.onEnd({} as ReadableSpan)).not.toThrow();
    expect(() => processor.onStart({} as never, ROOT_CONTEXT)).not.toThrow();
    expect(processor.stats().internalErrors).toBe(1);
  });

  it('records nothing while the tracer is disabled', async () => {
    const tracer = createTracer({ exporter: new MemoryExporter(), clock: new MockClock(), logger: silentLogger, enabled: false });
    const { exporter, processor, otel } = setup({ tracer });
    chatSpan(otel, ROOT_CONTEXT, T0, { 'chatdebug.chat_id': newId() }).end(new Date(T0 + 1));
    await processor.forceFlush();
    expect(exporter.runs()).toEqual([]);
    expect(processor.stats().runsRecorded).toBe(0);
  });

  it('on shutdown, finalizes ended runs and records them and their open steps as interrupted', async () => {
    const { exporter, processor, otel } = setup();
    const root = otel.startSpan('turn', { startTime: new Date(T0), attributes: { 'chatdebug.chat_id': newId() } });
    chatSpan(otel, trace.setSpan(ROOT_CONTEXT, root), T0 + 1, {});
    root.end(new Date(T0 + 2));
    await processor.shutdown();
    const { run, steps } = single(exporter);
    expect(run).toMatchObject({ status: 'interrupted', finishedAt: new Date(T0 + 2) });
    expect(only(steps)).toMatchObject({ status: 'interrupted', finishedAt: new Date(T0 + 2) });
    expect(processor.shutdown()).toBe(processor.shutdown());
  });

  it('records through a DebugService without a tracer, and validates its options', async () => {
    const exporter = new MemoryExporter();
    const service = new DebugService({ exporter, clock: new MockClock(), logger: silentLogger });
    const processor = new ChatDebugSpanProcessor({ service });
    const otel = new BasicTracerProvider({ spanProcessors: [processor] }).getTracer('test');
    chatSpan(otel, ROOT_CONTEXT, T0, { 'chatdebug.chat_id': newId() }).end(new Date(T0 + 1));
    await processor.forceFlush();
    expect(exporter.runs()).toHaveLength(1);

    expect(() => new ChatDebugSpanProcessor({})).toThrow(InvalidArgumentError);
    expect(() => new ChatDebugSpanProcessor({ service, runKind: 'Not A Kind' })).toThrow(InvalidArgumentError);
    expect(() => new ChatDebugSpanProcessor({ service, maxTextRunes: 0 })).toThrow(InvalidArgumentError);
    expect(() => new ChatDebugSpanProcessor({ service, orphanStepGraceMillis: -1 })).toThrow(InvalidArgumentError);
    expect(() => new ChatDebugSpanProcessor({ service, orphanStepGraceMillis: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => new ChatDebugSpanProcessor({ service, maxWaitingRuns: 0 })).toThrow(InvalidArgumentError);
  });

  it('keeps only options, tools, finish reason and usage when captureContent is off', async () => {
    const { exporter, processor, otel } = setup({ captureContent: false });
    const call = chatSpan(otel, ROOT_CONTEXT, T0, {
      'chatdebug.chat_id': newId(),
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'private' }] }]),
      'gen_ai.request.temperature': 0,
    });
    call.setAttributes({ 'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'secret' }] }]), 'gen_ai.response.finish_reasons': ['stop'] });
    call.end(new Date(T0 + 1));
    await processor.forceFlush();
    const step = only(single(exporter).steps);
    expect(step.normalizedRequest).toEqual({ options: { temperature: 0 } });
    expect(step.normalizedResponse).toMatchObject({ content: [], finish_reason: 'stop' });
    expect(JSON.stringify([step, single(exporter).run])).not.toMatch(/private|secret/);
  });
});
