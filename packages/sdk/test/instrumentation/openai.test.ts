import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { Stream } from 'openai/streaming';
import type { Tracer } from '@chatdebug/sdk';
import { InvalidArgumentError, REDACTED, instrumentOpenAI, isRecordingFetch } from '@chatdebug/sdk';
import { FakeLlmServer, chatChunks, responsesEvents, responsesResponse } from './support/fake-llm-server.js';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { CHAT, attemptsOf, eventually, registerSecrets, setupTracing } from './support/harness.js';

/** `gc()` without --expose-gc on the command line. */
function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

let server: FakeLlmServer;
beforeAll(async () => {
  server = await FakeLlmServer.start();
});
afterAll(async () => {
  await server.close();
});
afterEach(() => server.reset());

const API_KEY = 'sk-test-0123456789abcdef';
registerSecrets(API_KEY);
const messages: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Say hello' },
];

function client(tracer: Tracer, options: Partial<Parameters<typeof instrumentOpenAI>[1]> = {}): OpenAI {
  return instrumentOpenAI(new OpenAI({ apiKey: API_KEY, baseURL: server.baseURL, maxRetries: 2 }), { tracer, ...options });
}

describe('instrumentOpenAI: chat.completions.create', () => {
  it('a plain completion becomes one completed generate step with request, response, usage and attempt', async () => {
    const { tracer, read } = setupTracing();
    const openai = client(tracer);
    const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'lookup', description: 'Looks up', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }];
    const completion = await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, () =>
      openai.chat.completions.create({ model: 'gpt-test', messages, tools, temperature: 0.2, max_completion_tokens: 50, seed: 7 }),
    );
    expect(completion.choices[0]?.message.content).toBe('Hello world');
    expect(completion._request_id).toBeNull();
    const { runs, steps } = await read();
    expect(runs).toHaveLength(1);
    expect(runs[0]?.status).toBe('completed');
    expect(steps).toHaveLength(1);
    const step = steps[0];
    expect(step).toMatchObject({
      operation: 'generate',
      status: 'completed',
      error: null,
      normalizedRequest: {
        model: 'gpt-test',
        messages: [
          { role: 'system', parts: [{ type: 'text', text: 'Be brief.' }] },
          { role: 'user', parts: [{ type: 'text', text: 'Say hello' }] },
        ],
        tools: [{ type: 'function', name: 'lookup', description: 'Looks up', has_input_schema: true, input_schema: { type: 'object' } }],
        options: { max_output_tokens: 50, temperature: 0.2 },
        provider_option_count: 1,
      },
      normalizedResponse: { content: [{ type: 'text', text: 'Hello world' }], finish_reason: 'stop', warnings: [] },
      usage: { input_tokens: 11, output_tokens: 7, total_tokens: 18, reasoning_tokens: 2, cache_read_tokens: 3 },
      metadata: {},
      stepNumber: 1,
      runId: runs[0]?.id,
      chatId: CHAT,
    });
    const attempts = attemptsOf(step);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ number: 1, status: 'completed', method: 'POST', path: '/v1/chat/completions', response_status: 200 });
    expect(attempts[0]?.request_headers?.authorization).toBe(REDACTED);
    expect(JSON.parse(attempts[0]?.request_body ?? '{}')).toMatchObject({ model: 'gpt-test', seed: 7 });
  });

  it('a stream (SSE) with a usage chunk: parts forwarded, text merged, usage and stream_summary captured', async () => {
    const { tracer, read } = setupTracing();
    const openai = client(tracer);
    const seen: string[] = [];
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => {
      const stream = await openai.chat.completions.create({ model: 'gpt-test', messages, stream: true, stream_options: { include_usage: true } });
      expect(stream).toBeInstanceOf(Stream);
      expect(stream.controller).toBeInstanceOf(AbortController);
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? (chunk.usage ? 'usage' : ''));
    });
    expect(seen).toEqual(['', 'Hello', ' world', '', 'usage']);
    const { steps } = await read();
    expect(steps[0]).toMatchObject({
      operation: 'stream',
      status: 'completed',
      normalizedResponse: { content: [{ type: 'text', text: 'Hello world' }], finish_reason: 'stop' },
      usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7 },
      metadata: { stream_summary: { finish_reason: 'stop', text_delta_count: 2, part_count: 5, error_count: 0 } },
    });
    const [attempt] = attemptsOf(steps[0]);
    expect(attempt).toMatchObject({ status: 'completed', response_status: 200, response_headers: { 'content-type': 'text/event-stream' } });
    expect(attempt?.response_body).toContain('data: [DONE]');
  });

  it('a tool-call stream accumulates arguments per tool-call id', async () => {
    const { tracer, read } = setupTracing();
    const openai = client(tracer);
    server.script({
      sse: {
        events: chatChunks({
          toolCalls: [
            { id: 'call_a', name: 'weather', argumentChunks: ['{"city":', '"Paris"}'] },
            { id: 'call_b', name: 'time', argumentChunks: ['{"tz":"', 'CET"}'] },
          ],
        }),
      },
    });
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => {
      const stream = await openai.chat.completions.create({ model: 'gpt-test', messages, stream: true });
      for await (const chunk of stream) void chunk;
    });
    const { steps } = await read();
    expect(steps[0]?.normalizedResponse).toMatchObject({
      content: [
        { type: 'tool-call', tool_call_id: 'call_a', tool_name: 'weather', arguments: '{"city":"Paris"}', input_length: 16 },
        { type: 'tool-call', tool_call_id: 'call_b', tool_name: 'time', arguments: '{"tz":"CET"}' },
      ],
      finish_reason: 'tool_calls',
    });
    expect(steps[0]?.metadata).toMatchObject({ stream_summary: { tool_call_count: 2 } });
  });

  it('429 then success: one completed step with two attempts, the first classified rate_limited', async () => {
    const { tracer, read } = setupTracing();
    const openai = client(tracer);
    server.script({ status: 429, json: { error: { message: 'Rate limit reached', type: 'requests' } }, headers: { 'retry-after-ms': '1', 'x-ratelimit-remaining-tokens': '0' } });
    const completion = await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, () => openai.chat.completions.create({ model: 'gpt-test', messages }));
    expect(completion.choices[0]?.message.content).toBe('Hello world');
    expect(server.requests).toHaveLength(2);
    const { steps } = await read();
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({ status: 'completed', error: null });
    const attempts = attemptsOf(steps[0]);
    expect(attempts.map((a) => [a.number, a.status, a.response_status, a.retry_classification, a.retry_delay_ms])).toEqual([
      [1, 'completed', 429, 'rate_limited', 1],
      [2, 'completed', 200, undefined, undefined],
    ]);
    // The client dropped the 429's body before retrying; what had arrived is kept.
    expect(JSON.parse(attempts[0]?.response_body ?? '{}')).toEqual({ error: { message: 'Rate limit reached', type: 'requests' } });
    expect(attempts[0]?.response_headers?.['x-ratelimit-remaining-tokens']).toBe('0');
    expect(attempts[1]?.request_headers?.['x-stainless-retry-count']).toBe('1');
  });

  it('500 error: the step records the provider error and every attempt', async () => {
    const { tracer, read } = setupTracing();
    const openai = client(tracer);
    const body = { error: { message: 'The server had an error', type: 'server_error', code: null } };
    server.script({ status: 500, json: body, headers: { 'retry-after-ms': '1' } }, { status: 500, json: body, headers: { 'retry-after-ms': '1' } });
    const error = await tracer
      .run({ chatId: CHAT, kind: 'chat_turn' }, () => openai.chat.completions.create({ model: 'gpt-test', messages }, { maxRetries: 1 }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    const { runs, steps } = await read();
    expect(runs[0]?.status).toBe('error');
    expect(steps[0]).toMatchObject({
      status: 'error',
      error: { message: '500 The server had an error', type: 'InternalServerError', provider_status: 500, provider_title: 'server_error', is_retryable: true },
    });
    const attempts = attemptsOf(steps[0]);
    expect(attempts.map((a) => [a.response_status, a.retry_classification])).toEqual([
      [500, 'server_error'],
      [500, 'server_error'],
    ]);
    // The last response body was read by the client (to build the error), so it is stored.
    expect(JSON.parse(attempts[1]?.response_body ?? '{}')).toEqual(body);
  });

  it('consumer break mid-stream: step interrupted with partial content; the attempt is still recorded', async () => {
    const { tracer, read } = setupTracing();
    const openai = client(tracer);
    server.script({ sse: { events: chatChunks({ texts: ['Once', ' upon', ' a time'], finish: false }), hang: true } });
    const seen: string[] = [];
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => {
      const stream = await openai.chat.completions.create({ model: 'gpt-test', messages, stream: true });
      for await (const chunk of stream) {
        seen.push(chunk.choices[0]?.delta.content ?? '');
        if (seen.length === 3) break;
      }
    });
    expect(seen).toEqual(['', 'Once', ' upon']);
    const { steps } = await read();
    expect(steps[0]).toMatchObject({
      status: 'interrupted',
      normalizedResponse: { content: [{ type: 'text', text: 'Once upon' }], finish_reason: '' },
      metadata: { stream_summary: { text_delta_count: 2, finish_reason: '' } },
    });
    const attempts = attemptsOf(steps[0]);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ status: 'failed', response_status: 200 });
    expect(attempts[0]?.response_body).toContain('Once');
  });

  it('stream.controller.abort() mid-stream: interrupted with partial content, attempt recorded', async () => {
    const { tracer, read } = setupTracing();
    const openai = client(tracer);
    server.script({ sse: { events: chatChunks({ texts: ['Partial', ' answer'], finish: false }), hang: true } });
    const seen: string[] = [];
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => {
      const stream = await openai.chat.completions.create({ model: 'gpt-test', messages, stream: true });
      for await (const chunk of stream) {
        seen.push(chunk.choices[0]?.delta.content ?? '');
        if (seen.length === 2) stream.controller.abort();
      }
    });
    expect(seen).toEqual(['', 'Partial']);
    const { steps } = await read();
    expect(steps[0]).toMatchObject({ status: 'interrupted', normalizedResponse: { content: [{ type: 'text', text: 'Partial' }] } });
    const attempts = attemptsOf(steps[0]);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]?.status).toBe('failed');
  });

  it('an error event mid-stream: the consumer gets the APIError, the step is error with the partial response (§7 item 45)', async () => {
    const { tracer, read } = setupTracing();
    const openai = client(tracer);
    server.script({ sse: { events: [...chatChunks({ texts: ['Part'], finish: false }), { data: { error: { message: 'overloaded', type: 'server_error' } } }] } });
    const error = await tracer
      .run({ chatId: CHAT, kind: 'chat_turn' }, async () => {
        const stream = await openai.chat.completions.create({ model: 'gpt-test', messages, stream: true });
        for await (const chunk of stream) void chunk;
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const { steps } = await read();
    expect(steps[0]).toMatchObject({
      status: 'error',
      normalizedResponse: { content: [{ type: 'text', text: 'Part' }] },
      error: { message: 'overloaded', type: 'stream_error' },
      metadata: { stream_summary: { error_count: 1, last_error: 'overloaded', text_delta_count: 1 } },
    });
    expect(attemptsOf(steps[0])).toHaveLength(1);
  });

  it('a consumer that stops right after the finish chunk leaves the step completed (§7 item 48)', async () => {
    const { tracer, read } = setupTracing();
    const openai = client(tracer);
    server.script({ sse: { events: chatChunks({ texts: ['Done'], usage: true }), hang: true } });
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => {
      const stream = await openai.chat.completions.create({ model: 'gpt-test', messages, stream: true, stream_options: { include_usage: true } });
      for await (const chunk of stream) if (chunk.choices[0]?.finish_reason) break;
    });
    const { steps } = await read();
    expect(steps[0]).toMatchObject({ status: 'completed', normalizedResponse: { content: [{ type: 'text', text: 'Done' }], finish_reason: 'stop' } });
    expect(attemptsOf(steps[0])).toHaveLength(1);
  });

  it('a stream dropped without iterating and then aborted is interrupted, with its attempt (§7 item 48)', async () => {
    const { tracer, read } = setupTracing();
    const openai = client(tracer);
    server.script({ sse: { events: chatChunks({ texts: ['never read'] }), hang: true } });
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => {
      const stream = await openai.chat.completions.create({ model: 'gpt-test', messages, stream: true });
      stream.controller.abort();
    });
    const { steps } = await read();
    expect(steps[0]).toMatchObject({ status: 'interrupted', normalizedResponse: { content: [], finish_reason: '' } });
    expect(attemptsOf(steps[0])).toMatchObject([{ status: 'failed', error: expect.stringContaining('aborted') }]);
  });

  it('a stream never iterated nor aborted is interrupted when its run ends, and its attempt recorded', async () => {
    const { tracer, read } = setupTracing();
    const openai = client(tracer);
    server.script({ sse: { events: chatChunks({ texts: ['ignored'] }), hang: true } });
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => {
      await openai.chat.completions.create({ model: 'gpt-test', messages, stream: true });
    });
    const { steps } = await read();
    expect(steps[0]?.status).toBe('interrupted');
    expect(attemptsOf(steps[0])).toMatchObject([{ status: 'failed', error: expect.stringContaining('step ended') }]);
  });

  it('an abort signal on a plain call ends the step interrupted', async () => {
    const { tracer, read } = setupTracing();
    const openai = client(tracer);
    const controller = new AbortController();
    controller.abort();
    const error = await tracer
      .run({ chatId: CHAT, kind: 'chat_turn' }, () => openai.chat.completions.create({ model: 'gpt-test', messages }, { signal: controller.signal }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIUserAbortError);
    const { steps } = await read();
    expect(steps[0]).toMatchObject({ status: 'interrupted', error: { type: 'APIUserAbortError', context_error: 'canceled', is_retryable: false } });
  });

  it('outside a run the call passes through untraced', async () => {
    const { tracer, exporter } = setupTracing();
    const openai = client(tracer);
    const completion = await openai.chat.completions.create({ model: 'gpt-test', messages });
    expect(completion.choices[0]?.message.content).toBe('Hello world');
    const stream = await openai.chat.completions.create({ model: 'gpt-test', messages, stream: true });
    let count = 0;
    for await (const chunk of stream) count += chunk.choices.length;
    expect(count).toBe(4);
    await tracer.forceFlush();
    expect(exporter.runs()).toEqual([]);
    expect(exporter.steps()).toEqual([]);
  });

  it("whenNoRun 'create-run': a stream dropped unread ends its step and run interrupted once collected", async () => {
    const { tracer, read } = setupTracing();
    const openai = client(tracer, { whenNoRun: 'create-run', chatId: () => CHAT });
    await (async () => {
      await openai.chat.completions.create({ model: 'gpt-test', messages, stream: true });
    })();
    const gc = collectGarbage();
    await eventually(async () => {
      gc();
      await new Promise<void>((resolve) => setImmediate(resolve));
      return (await read()).runs[0]?.status === 'interrupted';
    }, 100);
    const { runs, steps } = await read();
    expect(runs).toMatchObject([{ status: 'interrupted' }]);
    expect(runs[0]?.finishedAt).not.toBeNull();
    expect(steps).toMatchObject([{ operation: 'stream', status: 'interrupted', metadata: { stream_dropped_unread: true } }]);
  });

  it("whenNoRun 'create-run': a stream being read is never taken for a dropped one, whatever the collector does", async () => {
    const { tracer, read } = setupTracing();
    const openai = client(tracer, { whenNoRun: 'create-run', chatId: () => CHAT });
    server.script({ sse: { events: chatChunks({ texts: ['a', 'b', 'c', 'd'] }), delayMillis: 5 } });
    const gc = collectGarbage();
    let text = '';
    // Only the iterator is held while reading (as `for await` does), never the stream object.
    const iterator = (await openai.chat.completions.create({ model: 'gpt-test', messages, stream: true }))[Symbol.asyncIterator]();
    for (;;) {
      gc();
      await new Promise<void>((resolve) => setImmediate(resolve));
      const next = await iterator.next();
      if (next.done) break;
      text += next.value.choices[0]?.delta.content ?? '';
    }
    const { runs, steps } = await read();
    expect(text).toBe('abcd');
    expect(runs).toMatchObject([{ status: 'completed' }]);
    expect(steps).toMatchObject([{ operation: 'stream', status: 'completed' }]);
  });

  it("whenNoRun 'create-run' records each call in a chat_turn run of its own", async () => {
    const { tracer, read } = setupTracing();
    const openai = client(tracer, { whenNoRun: 'create-run', chatId: () => CHAT });
    await openai.chat.completions.create({ model: 'gpt-test', messages });
    const stream = await openai.chat.completions.create({ model: 'gpt-test', messages, stream: true });
    for await (const chunk of stream) void chunk;
    const { runs, steps } = await read();
    expect(runs).toHaveLength(2);
    for (const run of runs) {
      expect(run).toMatchObject({ kind: 'chat_turn', status: 'completed', provider: 'openai', model: 'gpt-test', summary: { first_message: 'Say hello', step_count: 1 } });
      expect(run.finishedAt).not.toBeNull();
    }
    expect(steps.map((s) => [s.operation, s.status, s.stepNumber]).sort()).toEqual([
      ['generate', 'completed', 1],
      ['stream', 'completed', 1],
    ]);
  });

  it('rejects bad options at construction', () => {
    const { tracer } = setupTracing();
    const raw = new OpenAI({ apiKey: API_KEY, baseURL: server.baseURL });
    expect(() => instrumentOpenAI(raw, { tracer, whenNoRun: 'create-run' })).toThrow(/chatId/);
    expect(() => instrumentOpenAI(raw, { tracer, whenNoRun: 'always' as 'passthrough' })).toThrow(/whenNoRun/);
    expect(() => instrumentOpenAI(raw, {} as { tracer: Tracer })).toThrow(/tracer/);
    expect(() => instrumentOpenAI(null as unknown as object, { tracer })).toThrow(InvalidArgumentError);
  });

  it('keeps withResponse, asResponse, tee and toReadableStream working', async () => {
    const { tracer, read } = setupTracing();
    const openai = client(tracer);
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => {
      const { data, response, request_id } = await openai.chat.completions.create({ model: 'gpt-test', messages }).withResponse();
      expect(data.choices[0]?.message.content).toBe('Hello world');
      expect(response.status).toBe(200);
      expect(request_id).toBeNull();
      const raw = await openai.chat.completions.create({ model: 'gpt-test', messages }).asResponse();
      expect(((await raw.json()) as { object: string }).object).toBe('chat.completion');
      const stream = await openai.chat.completions.create({ model: 'gpt-test', messages, stream: true });
      const [left, right] = stream.tee();
      const lefts: unknown[] = [];
      for await (const chunk of left) lefts.push(chunk);
      const rights: unknown[] = [];
      for await (const chunk of right) rights.push(chunk);
      expect(rights).toEqual(lefts);
      expect(lefts).toHaveLength(4);
      const second = await openai.chat.completions.create({ model: 'gpt-test', messages, stream: true });
      const text = await new Response(second.toReadableStream()).text();
      expect(text.trim().split('\n')).toHaveLength(4);
    });
    const { steps } = await read();
    expect(steps.map((s) => [s.stepNumber, s.operation, s.status])).toEqual([
      [1, 'generate', 'completed'],
      [2, 'generate', 'completed'],
      [3, 'stream', 'completed'],
      [4, 'stream', 'completed'],
    ]);
    expect(steps[0]?.normalizedResponse).toMatchObject({ content: [{ type: 'text', text: 'Hello world' }] });
    expect(steps[1]?.metadata).toEqual({ raw_response: true });
    expect(attemptsOf(steps[1])[0]?.status).toBe('completed');
    expect(steps[2]?.normalizedResponse).toMatchObject({ content: [{ type: 'text', text: 'Hello world' }] });
  });

  it('patches the client in place once, and installs a recording fetch', () => {
    const { tracer } = setupTracing();
    const raw = new OpenAI({ apiKey: API_KEY, baseURL: server.baseURL });
    const create = raw.chat.completions.create;
    const instrumented = instrumentOpenAI(raw, { tracer });
    expect(instrumented).toBe(raw);
    const patched = raw.chat.completions.create;
    expect(patched).not.toBe(create);
    instrumentOpenAI(raw, { tracer });
    expect(raw.chat.completions.create).toBe(patched);
    expect(isRecordingFetch((raw as unknown as { fetch: unknown }).fetch)).toBe(true);
  });
});

describe('instrumentOpenAI: responses.create', () => {
  it('a plain response is normalized (instructions, input, output, usage)', async () => {
    const { tracer, read } = setupTracing();
    const openai = client(tracer);
    server.script({ json: responsesResponse({ text: 'Checking.', functionCall: { callId: 'call_9', name: 'search', arguments: '{"q":"x"}' } }) });
    const response = await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, () =>
      openai.responses.create({
        model: 'gpt-test',
        instructions: 'You are terse.',
        input: [{ role: 'user', content: [{ type: 'input_text', text: 'Find x' }] }],
        tools: [{ type: 'function', name: 'search', parameters: { type: 'object' }, strict: true }],
        max_output_tokens: 64,
      }),
    );
    expect(response.output_text).toBe('Checking.');
    const { steps } = await read();
    expect(steps[0]).toMatchObject({
      operation: 'generate',
      status: 'completed',
      normalizedRequest: {
        model: 'gpt-test',
        messages: [
          { role: 'system', parts: [{ type: 'text', text: 'You are terse.' }] },
          { role: 'user', parts: [{ type: 'text', text: 'Find x' }] },
        ],
        tools: [{ type: 'function', name: 'search', has_input_schema: true }],
        options: { max_output_tokens: 64 },
      },
      normalizedResponse: {
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool-call', tool_call_id: 'call_9', tool_name: 'search', arguments: '{"q":"x"}' },
        ],
        finish_reason: 'tool_calls',
      },
      usage: { input_tokens: 9, output_tokens: 4, total_tokens: 13, reasoning_tokens: 1 },
    });
    expect(attemptsOf(steps[0])[0]).toMatchObject({ path: '/v1/responses', status: 'completed' });
  });

  it('a streamed response merges text deltas and captures usage from response.completed', async () => {
    const { tracer, read } = setupTracing();
    const openai = client(tracer);
    const types: string[] = [];
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => {
      const stream = await openai.responses.create({ model: 'gpt-test', input: 'Hello?', stream: true });
      for await (const event of stream) types.push(event.type);
    });
    expect(types).toEqual(['response.created', 'response.output_text.delta', 'response.output_text.delta', 'response.output_text.delta', 'response.completed']);
    const { steps } = await read();
    expect(steps[0]).toMatchObject({
      operation: 'stream',
      status: 'completed',
      normalizedRequest: { messages: [{ role: 'user', parts: [{ type: 'text', text: 'Hello?' }] }] },
      normalizedResponse: { content: [{ type: 'text', text: 'Hi from responses' }], finish_reason: 'stop' },
      usage: { input_tokens: 9, output_tokens: 4, total_tokens: 13 },
      metadata: { stream_summary: { text_delta_count: 3 } },
    });
  });

  it('a streamed response that stops before response.completed is interrupted', async () => {
    const { tracer, read } = setupTracing();
    const openai = client(tracer);
    server.script({ sse: { events: responsesEvents({ texts: ['Half'], complete: false }), done: false } });
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => {
      const stream = await openai.responses.create({ model: 'gpt-test', input: 'Hello?', stream: true });
      for await (const event of stream) void event;
    });
    const { steps } = await read();
    expect(steps[0]).toMatchObject({ status: 'interrupted', normalizedResponse: { content: [{ type: 'text', text: 'Half' }] } });
    expect(attemptsOf(steps[0])[0]?.status).toBe('completed');
  });
});

describe('instrumentOpenAI: clients without APIPromise / Stream', () => {
  it('a create returning plain promises and async iterables is still traced', async () => {
    const { tracer, read } = setupTracing();
    async function* chunks() {
      yield { choices: [{ index: 0, delta: { content: 'a' }, finish_reason: null }] };
      yield { choices: [{ index: 0, delta: { content: 'b' }, finish_reason: 'stop' }] };
    }
    const fake = {
      chat: {
        completions: {
          create: async (params: { stream?: boolean }) =>
            params.stream ? chunks() : { choices: [{ index: 0, message: { role: 'assistant', content: 'plain' }, finish_reason: 'stop' }] },
        },
      },
    };
    const instrumented = instrumentOpenAI(fake, { tracer });
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => {
      const plain = await instrumented.chat.completions.create({});
      expect(plain).toMatchObject({ choices: [{ message: { content: 'plain' } }] });
      const stream = (await instrumented.chat.completions.create({ stream: true })) as AsyncIterable<unknown>;
      const parts: unknown[] = [];
      for await (const part of stream) parts.push(part);
      expect(parts).toHaveLength(2);
    });
    const { steps } = await read();
    expect(steps.map((s) => [s.operation, s.status])).toEqual([
      ['generate', 'completed'],
      ['stream', 'completed'],
    ]);
    expect(steps[1]?.normalizedResponse).toMatchObject({ content: [{ type: 'text', text: 'ab' }], finish_reason: 'stop' });
  });
});
