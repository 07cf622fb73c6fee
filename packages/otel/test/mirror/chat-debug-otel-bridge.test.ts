import type { DiagLogger } from '@opentelemetry/api';
import { DiagLogLevel, SpanKind, SpanStatusCode, context, diag, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Tracer } from '@chatdebug/sdk';
import { InvalidArgumentError, activeStep, createTracer, newId, silentLogger } from '@chatdebug/sdk';
import { MemoryExporter, MockClock } from '@chatdebug/testing';
import type { OtelMirrorOptions } from '@chatdebug/otel';
import { ChatDebugOtelBridge, createOtelMirror } from '@chatdebug/otel';

const RESPONSE = {
  content: [{ type: 'text', text: 'Hello there' }],
  finish_reason: 'stop',
  usage: { input_tokens: 12, output_tokens: 5, total_tokens: 17, cache_read_tokens: 4 },
  warnings: [],
};

const REQUEST = {
  messages: [{ role: 'user', parts: [{ type: 'text', text: 'Say hello' }] }],
  options: { temperature: 0.2, max_output_tokens: 100 },
};

interface Harness {
  spans: InMemorySpanExporter;
  provider: BasicTracerProvider;
  clock: MockClock;
  exporter: MemoryExporter;
  tracer: Tracer;
  mirror: ChatDebugOtelBridge;
}

function setup(options: OtelMirrorOptions & { enabled?: boolean } = {}): Harness {
  const spans = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const clock = new MockClock();
  const exporter = new MemoryExporter();
  const mirror = createOtelMirror({ tracerProvider: provider, ...options });
  const tracer = createTracer({ exporter, clock, logger: silentLogger, enabled: options.enabled, listeners: [mirror] });
  return { spans, provider, clock, exporter, tracer, mirror };
}

function byName(spans: InMemorySpanExporter, name: string): ReadableSpan {
  const span = spans.getFinishedSpans().find((candidate) => candidate.name === name);
  if (!span) throw new Error(`no finished span named ${name}; have ${spans.getFinishedSpans().map((s) => s.name).join(', ')}`);
  return span;
}

function millis(span: ReadableSpan, which: 'startTime' | 'endTime'): number {
  const [seconds, nanos] = span[which];
  return seconds * 1000 + Math.round(nanos / 1e6);
}

describe('ChatDebugOtelBridge with a context manager', () => {
  let contextManager: AsyncLocalStorageContextManager;
  const warnings: string[] = [];

  beforeEach(() => {
    contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
    warnings.length = 0;
    const logger: DiagLogger = {
      error: (message) => warnings.push(message),
      warn: (message) => warnings.push(message),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    };
    diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  });

  afterEach(() => {
    context.disable();
    diag.disable();
    trace.disable();
  });

  it('mirrors a run and its step as GenAI spans, parented and timed like the records', async () => {
    const { spans, provider, clock, tracer, exporter } = setup();
    const chatId = newId();
    const startMillis = clock.nowMillis();
    const outer = provider.getTracer('app');
    await outer.startActiveSpan('POST /chat', async (request) => {
      await tracer.run({ chatId, kind: 'chat_turn', provider: 'openai', model: 'gpt-4o', label: 'Say hello' }, async () => {
        clock.advance(10);
        await tracer.traceCall({ request: REQUEST, result: (value: typeof RESPONSE) => ({ response: value, usage: value.usage }) }, async () => {
          clock.advance(250);
          return RESPONSE;
        });
        clock.advance(5);
      });
      request.end();
    });
    await tracer.forceFlush();

    const run = byName(spans, 'chat_turn');
    const step = byName(spans, 'chat gpt-4o');
    const http = byName(spans, 'POST /chat');
    expect(run.parentSpanContext?.spanId).toBe(http.spanContext().spanId);
    expect(step.parentSpanContext?.spanId).toBe(run.spanContext().spanId);
    expect(step.spanContext().traceId).toBe(http.spanContext().traceId);
    expect(run.kind).toBe(SpanKind.INTERNAL);
    expect(step.kind).toBe(SpanKind.CLIENT);

    const [record] = exporter.runs();
    const [stepRecord] = exporter.steps();
    expect(record).toBeDefined();
    expect(stepRecord).toBeDefined();
    expect(run.attributes).toMatchObject({
      'chatdebug.run_id': record?.id,
      'chatdebug.chat_id': chatId,
      'gen_ai.conversation.id': chatId,
      'chatdebug.run_kind': 'chat_turn',
      'chatdebug.status': 'completed',
      'gen_ai.provider.name': 'openai',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o',
    });
    expect(step.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'chatdebug.operation': 'generate',
      'gen_ai.request.stream': false,
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.max_tokens': 100,
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 5,
      'gen_ai.usage.cache_read.input_tokens': 4,
      'gen_ai.response.finish_reasons': ['stop'],
      'chatdebug.run_id': record?.id,
      'chatdebug.step_id': stepRecord?.id,
      'chatdebug.chat_id': chatId,
      'chatdebug.step_number': 1,
      'chatdebug.status': 'completed',
    });
    expect(run.status.code).toBe(SpanStatusCode.UNSET);
    expect(step.status.code).toBe(SpanStatusCode.UNSET);

    // Times come from chatdebug's clock, the same instants the records carry.
    expect(millis(run, 'startTime')).toBe(startMillis);
    expect(millis(step, 'startTime')).toBe(startMillis + 10);
    expect(millis(step, 'endTime')).toBe(startMillis + 260);
    expect(millis(run, 'endTime')).toBe(startMillis + 265);
    expect(stepRecord?.startedAt.getTime()).toBe(startMillis + 10);
    expect(stepRecord?.finishedAt?.getTime()).toBe(startMillis + 260);
    expect(warnings).toEqual([]);
  });

  it('makes the step span active while the call runs, so spans made inside nest under it', async () => {
    const { spans, provider, tracer, mirror } = setup();
    const http = provider.getTracer('http');
    let activeInside: string | undefined;
    let stepSpanId: string | undefined;
    await tracer.run({ chatId: newId(), kind: 'chat_turn', model: 'gpt-4o' }, async () => {
      await tracer.traceCall({ request: REQUEST }, async (step) => {
        stepSpanId = mirror.otelSpanOf(step)?.spanContext().spanId;
        activeInside = trace.getActiveSpan()?.spanContext().spanId;
        await Promise.resolve();
        http.startActiveSpan('POST https://api.example.com/v1/chat', (span) => span.end());
        return RESPONSE;
      });
    });

    const step = byName(spans, 'chat gpt-4o');
    const inner = byName(spans, 'POST https://api.example.com/v1/chat');
    expect(stepSpanId).toBe(step.spanContext().spanId);
    expect(activeInside).toBe(step.spanContext().spanId);
    expect(inner.parentSpanContext?.spanId).toBe(step.spanContext().spanId);
  });

  it('makes the run span active inside tracer.run, between steps', async () => {
    const { spans, tracer } = setup();
    let active: string | undefined;
    await tracer.run({ chatId: newId(), kind: 'title_generation' }, async () => {
      active = trace.getActiveSpan()?.spanContext().spanId;
    });
    expect(active).toBe(byName(spans, 'title_generation').spanContext().spanId);
  });

  it('marks a failed step and run as ERROR with the message and error type', async () => {
    const { spans, tracer } = setup();
    class RateLimitError extends Error {}
    await expect(
      tracer.run({ chatId: newId(), kind: 'chat_turn', model: 'gpt-4o' }, async () => {
        await tracer.traceCall({ request: REQUEST }, async () => {
          throw new RateLimitError('rate limited');
        });
      }),
    ).rejects.toThrow('rate limited');

    const step = byName(spans, 'chat gpt-4o');
    const run = byName(spans, 'chat_turn');
    expect(step.status).toEqual({ code: SpanStatusCode.ERROR, message: 'rate limited' });
    expect(step.attributes['chatdebug.status']).toBe('error');
    expect(step.attributes['error.type']).toBe('RateLimitError');
    expect(step.events.map((event) => event.name)).toEqual(['exception']);
    expect(run.status).toEqual({ code: SpanStatusCode.ERROR, message: 'rate limited' });
    expect(run.attributes['chatdebug.status']).toBe('error');
    expect(run.attributes['error.type']).toBe('RateLimitError');
  });

  it("takes a failed run's message and error type from its own error when no step failed", async () => {
    const { spans, tracer } = setup();
    const run = tracer.startRun({ chatId: newId(), kind: 'chat_turn' });
    run.end({ status: 'error', error: new Error('boom run') });

    const span = byName(spans, 'chat_turn');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'boom run' });
    expect(span.attributes['error.type']).toBe('Error');
    expect(span.attributes['chatdebug.status']).toBe('error');
  });

  it('sets error.type to _OTHER when the error type is unknown', async () => {
    const { spans, tracer } = setup();
    const run = tracer.startRun({ chatId: newId(), kind: 'chat_turn', model: 'gpt-4o' });
    run.startStep({ request: REQUEST }).end({ status: 'error', error: { message: 'no type here' } });
    run.end({ status: 'error' });

    const step = byName(spans, 'chat gpt-4o');
    expect(step.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no type here' });
    expect(step.attributes['error.type']).toBe('_OTHER');
    // No exception event for an error of unknown type: its name would be made up.
    expect(step.events).toEqual([]);
    const span = byName(spans, 'chat_turn');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no type here' });
    expect(span.attributes['error.type']).toBe('_OTHER');
  });

  it('leaves an interrupted step UNSET and says interrupted in chatdebug.status', async () => {
    const { spans, tracer } = setup();
    const abort = Object.assign(new Error('aborted by user'), { name: 'AbortError' });
    await expect(
      tracer.run({ chatId: newId(), kind: 'chat_turn', model: 'gpt-4o' }, async () => {
        await tracer.traceCall({ request: REQUEST }, async () => {
          throw abort;
        });
      }),
    ).rejects.toBe(abort);
    const step = byName(spans, 'chat gpt-4o');
    expect(step.status.code).toBe(SpanStatusCode.UNSET);
    expect(step.attributes['chatdebug.status']).toBe('interrupted');
    expect(byName(spans, 'chat_turn').attributes['chatdebug.status']).toBe('interrupted');
  });

  it('mirrors a streamed step with its finish reason and usage', async () => {
    const { spans, tracer } = setup();
    async function* parts() {
      yield { type: 'text-delta', delta: 'Hel' };
      yield { type: 'text-delta', delta: 'lo' };
      yield { type: 'finish', finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 2 } };
    }
    await tracer.run({ chatId: newId(), kind: 'chat_turn', model: 'claude-sonnet' }, async () => {
      const stream = await tracer.traceStream({ request: REQUEST }, () => parts());
      for await (const part of stream) expect(part).toBeDefined();
    });
    const step = byName(spans, 'chat claude-sonnet');
    expect(step.attributes).toMatchObject({
      'chatdebug.operation': 'stream',
      'gen_ai.request.stream': true,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 3,
      'gen_ai.usage.output_tokens': 2,
      'chatdebug.status': 'completed',
    });
  });

  it('does not copy prompts or responses unless asked', async () => {
    const { spans, tracer } = setup();
    await tracer.run({ chatId: newId(), kind: 'chat_turn', model: 'gpt-4o', label: 'secret question' }, async () => {
      await tracer.traceCall({ request: REQUEST, result: (value: typeof RESPONSE) => ({ response: value }) }, async () => RESPONSE);
    });
    for (const span of spans.getFinishedSpans()) {
      expect(span.attributes['gen_ai.input.messages']).toBeUndefined();
      expect(span.attributes['gen_ai.output.messages']).toBeUndefined();
      expect(span.attributes['chatdebug.label']).toBeUndefined();
      expect(JSON.stringify(span.attributes)).not.toContain('Say hello');
      expect(JSON.stringify(span.attributes)).not.toContain('Hello there');
    }
  });

  it('copies content as semconv messages when captureContent is on', async () => {
    const { spans, tracer } = setup({ captureContent: true });
    await tracer.run({ chatId: newId(), kind: 'chat_turn', model: 'gpt-4o', label: 'Say hello' }, async () => {
      await tracer.traceCall({ request: REQUEST, result: (value: typeof RESPONSE) => ({ response: value }) }, async () => RESPONSE);
    });
    const step = byName(spans, 'chat gpt-4o');
    expect(JSON.parse(step.attributes['gen_ai.input.messages'] as string)).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'Say hello' }] }]);
    expect(JSON.parse(step.attributes['gen_ai.output.messages'] as string)).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'Hello there' }], finish_reason: 'stop' },
    ]);
    expect(byName(spans, 'chat_turn').attributes['chatdebug.label']).toBe('Say hello');
  });

  it('bounds captured content to maxAttributeLength code points', async () => {
    const { spans, tracer } = setup({ captureContent: true, maxAttributeLength: 64 });
    const long = 'é'.repeat(5_000);
    const request = { messages: [{ role: 'user', parts: [{ type: 'text', text: long }] }] };
    await tracer.run({ chatId: newId(), kind: 'chat_turn', model: 'gpt-4o', label: long }, async () => {
      await tracer.traceCall(
        { request, result: () => ({ response: { content: [{ type: 'text', text: long }], finish_reason: 'stop' } }) },
        async () => 'ok',
      );
    });
    const step = byName(spans, 'chat gpt-4o');
    for (const key of ['gen_ai.input.messages', 'gen_ai.output.messages']) {
      const value = step.attributes[key] as string;
      expect(Array.from(value)).toHaveLength(64);
      expect(value.endsWith('…')).toBe(true);
    }
    expect(Array.from(byName(spans, 'chat_turn').attributes['chatdebug.label'] as string).length).toBeLessThanOrEqual(64);
  });

  it('ends the OTel span once when a step ends again with a higher-priority status', async () => {
    const { spans, tracer } = setup();
    const run = tracer.startRun({ chatId: newId(), kind: 'chat_turn', model: 'gpt-4o' });
    const step = run.startStep({ request: REQUEST });
    step.end({ status: 'error', error: { message: 'first attempt failed', type: 'ServerError' } });
    step.end({ status: 'completed', response: RESPONSE });
    run.end();
    await tracer.forceFlush();

    const stepSpans = spans.getFinishedSpans().filter((span) => span.name === 'chat gpt-4o');
    expect(stepSpans).toHaveLength(1);
    expect(stepSpans[0]?.attributes['chatdebug.status']).toBe('error');
    expect(stepSpans[0]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(warnings).toEqual([]);
  });

  it('records steps left open when the run ends as interrupted spans', async () => {
    const { spans, tracer } = setup();
    const run = tracer.startRun({ chatId: newId(), kind: 'chat_turn', model: 'gpt-4o' });
    run.startStep({ request: REQUEST });
    run.end();
    const step = byName(spans, 'chat gpt-4o');
    expect(step.attributes['chatdebug.status']).toBe('interrupted');
    expect(step.ended).toBe(true);
  });

  it('makes no spans when the tracer is disabled', async () => {
    const { spans, tracer } = setup({ enabled: false });
    await tracer.run({ chatId: newId(), kind: 'chat_turn' }, async () => {
      await tracer.traceCall({ request: REQUEST }, async () => RESPONSE);
    });
    expect(spans.getFinishedSpans()).toEqual([]);
  });

  it('uses the global tracer provider by default', async () => {
    const spans = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
    trace.setGlobalTracerProvider(provider);
    const tracer = createTracer({ exporter: new MemoryExporter(), clock: new MockClock(), logger: silentLogger, listeners: [createOtelMirror()] });
    await tracer.run({ chatId: newId(), kind: 'compaction' }, async () => {});
    expect(spans.getFinishedSpans().map((span) => [span.name, span.instrumentationScope.name])).toEqual([['compaction', '@chatdebug/otel']]);
  });

  it('rejects a bad maxAttributeLength at construction', () => {
    expect(() => new ChatDebugOtelBridge({ maxAttributeLength: 0 })).toThrow(InvalidArgumentError);
  });
});

describe('ChatDebugOtelBridge without a context manager', () => {
  it('keeps chatdebug context working and parents spans through explicit contexts', async () => {
    const { spans, tracer } = setup();
    let inside: string | undefined;
    let stepId: string | undefined;
    await tracer.run({ chatId: newId(), kind: 'chat_turn', model: 'gpt-4o' }, async () => {
      await tracer.traceCall({ request: REQUEST }, async (step) => {
        stepId = step.id;
        await Promise.resolve();
        inside = activeStep()?.id;
        return RESPONSE;
      });
    });
    expect(inside).toBe(stepId);
    const run = byName(spans, 'chat_turn');
    const step = byName(spans, 'chat gpt-4o');
    expect(step.parentSpanContext?.spanId).toBe(run.spanContext().spanId);
    expect(step.attributes['chatdebug.step_id']).toBe(stepId);
  });
});
