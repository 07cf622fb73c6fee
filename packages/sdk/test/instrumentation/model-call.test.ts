import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FetchFunction, StepSpan, Tracer } from '@chatdebug/sdk';
import {
  InvalidArgumentError,
  REDACTED,
  createAnthropicEventObserver,
  createRecordingFetch,
  createTracer,
  normalizeAnthropicRequest,
  traceModelCall,
  wrapModelFunction,
} from '@chatdebug/sdk';
import { MemoryExporter } from '@chatdebug/testing';
import { FakeLlmServer } from './support/fake-llm-server.js';
import { CHAT, attemptsOf, registerSecrets, setupTracing } from './support/harness.js';

let server: FakeLlmServer;
beforeAll(async () => {
  server = await FakeLlmServer.start();
});
afterAll(async () => {
  await server.close();
});
afterEach(() => server.reset());

const ANTHROPIC_KEY = 'sk-ant-api03-test-key-000000000000';
registerSecrets(ANTHROPIC_KEY, 'sk-do-not-store-0000000000');

const message = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-test',
  content: [{ type: 'text', text: 'Bonjour' }],
  stop_reason: 'end_turn',
  usage: { input_tokens: 6, output_tokens: 2, cache_read_input_tokens: 4 },
};

interface MessagesBody {
  model: string;
  max_tokens: number;
  messages: { role: string; content: string }[];
  stream?: boolean;
}

/** A minimal fetch-based SDK, like the ones that accept a `fetch` option. */
class TinyAnthropic {
  readonly #fetch: FetchFunction;
  readonly #baseURL: string;
  constructor(options: { baseURL: string; fetch: FetchFunction }) {
    this.#fetch = options.fetch;
    this.#baseURL = options.baseURL;
  }

  #post(body: MessagesBody): Promise<Response> {
    return this.#fetch(`${this.#baseURL}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': ANTHROPIC_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  async create(body: MessagesBody): Promise<typeof message> {
    const response = await this.#post(body);
    if (!response.ok) throw Object.assign(new Error(`${response.status} ${await response.text()}`), { status: response.status });
    return (await response.json()) as typeof message;
  }

  /** Sends the request at once (inside the caller's step), then parses events lazily. */
  async stream(body: MessagesBody): Promise<AsyncIterable<unknown>> {
    const response = await this.#post({ ...body, stream: true });
    return parseEvents(response);
  }
}

async function* parseEvents(response: Response): AsyncGenerator<unknown> {
  const reader = (response.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += value;
    let at: number;
    while ((at = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      const data = block.split('\n').find((line) => line.startsWith('data: '));
      if (data) yield JSON.parse(data.slice(6));
    }
  }
}

const body: MessagesBody = { model: 'claude-test', max_tokens: 64, messages: [{ role: 'user', content: 'Say hi in French' }] };

describe('fetch-based SDKs: recording fetch + traceModelCall', () => {
  it('records the call as a step with normalized request/response, usage and the redacted attempt', async () => {
    const { tracer, read } = setupTracing();
    const client = new TinyAnthropic({ baseURL: server.url, fetch: createRecordingFetch() });
    server.script({ json: message });
    const result = await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, () =>
      traceModelCall({ tracer, shape: 'anthropic-messages' }, body, (request) => client.create(request)),
    );
    expect(result).toEqual(message);
    const { steps } = await read();
    expect(steps[0]).toMatchObject({
      operation: 'generate',
      status: 'completed',
      normalizedRequest: { model: 'claude-test', messages: [{ role: 'user', parts: [{ type: 'text', text: 'Say hi in French' }] }], options: { max_output_tokens: 64 } },
      normalizedResponse: { content: [{ type: 'text', text: 'Bonjour' }], finish_reason: 'stop', raw_finish_reason: 'end_turn' },
      usage: { input_tokens: 10, output_tokens: 2, total_tokens: 12, cache_read_tokens: 4 },
    });
    const [attempt] = attemptsOf(steps[0]);
    expect(attempt).toMatchObject({ status: 'completed', path: '/v1/messages', request_headers: { 'x-api-key': REDACTED, 'anthropic-version': '2023-06-01' } });
    expect(server.requests[0]?.headers['x-api-key']).toBe(ANTHROPIC_KEY);
  });

  it('a streamed fetch-based call: tracer.traceStream with the Anthropic event observer', async () => {
    const { tracer, read } = setupTracing();
    const client = new TinyAnthropic({ baseURL: server.url, fetch: createRecordingFetch() });
    server.script({
      sse: {
        done: false,
        events: [
          { event: 'message_start', data: { type: 'message_start', message: { ...message, content: [], usage: { input_tokens: 6, output_tokens: 1 } } } },
          { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
          { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Bon' } } },
          { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'jour' } } },
          { event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 3 } } },
          { event: 'message_stop', data: { type: 'message_stop' } },
        ],
      },
    });
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => {
      const stream = await tracer.traceStream({ request: normalizeAnthropicRequest(body), observe: createAnthropicEventObserver() }, () => client.stream(body));
      for await (const event of stream) void event;
    });
    const { steps } = await read();
    expect(steps[0]).toMatchObject({
      operation: 'stream',
      status: 'completed',
      normalizedResponse: { content: [{ type: 'text', text: 'Bonjour' }], finish_reason: 'stop' },
      usage: { input_tokens: 6, output_tokens: 3, total_tokens: 9 },
    });
    expect(attemptsOf(steps[0])[0]).toMatchObject({ status: 'completed', response_headers: { 'content-type': 'text/event-stream' } });
  });

  it('wrapModelFunction keeps the signature: this, extra arguments, result and errors pass through', async () => {
    const { tracer, read } = setupTracing();
    const owner = {
      prefix: '>',
      async generate(this: { prefix: string }, request: { prompt: string }, suffix: string): Promise<{ text: string; usage: { input_tokens: number; output_tokens: number } }> {
        if (request.prompt === 'fail') throw Object.assign(new Error('upstream 503'), { status: 503 });
        return { text: `${this.prefix}${request.prompt}${suffix}`, usage: { input_tokens: 1, output_tokens: 2 } };
      },
    };
    const generate = wrapModelFunction(owner.generate, { tracer });
    const bound = { prefix: '#', generate };
    const failure = new Error('never');
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => {
      expect(await bound.generate({ prompt: 'hi' }, '!')).toEqual({ text: '#hi!', usage: { input_tokens: 1, output_tokens: 2 } });
      const error = await bound.generate({ prompt: 'fail' }, '!').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBe(failure);
      expect((error as Error).message).toBe('upstream 503');
    }).catch(() => undefined);
    const { steps } = await read();
    expect(steps.map((s) => s.status)).toEqual(['completed', 'error']);
    expect(steps[0]).toMatchObject({ normalizedRequest: { prompt: 'hi' }, normalizedResponse: { text: '#hi!' }, usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 } });
    expect(steps[1]?.error).toMatchObject({ message: 'upstream 503', provider_status: 503, is_retryable: true });
  });

  it('without a shape, the request and response are stored as redacted snapshots', async () => {
    const { tracer, read } = setupTracing();
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, () =>
      traceModelCall({ tracer }, { prompt: 'x', api_key: 'sk-do-not-store-0000000000' }, async () => ({ answer: 'y', session_token: 'st' })),
    );
    const { steps } = await read();
    expect(steps[0]).toMatchObject({ normalizedRequest: { prompt: 'x', api_key: REDACTED }, normalizedResponse: { answer: 'y', session_token: REDACTED } });
  });

  it('passes through outside a run (no step given to the call)', async () => {
    const { tracer, exporter } = setupTracing();
    let seen: StepSpan | undefined | null = null;
    const result = await traceModelCall({ tracer }, { q: 1 }, async (_request, step) => {
      seen = step;
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(seen).toBeUndefined();
    await tracer.forceFlush();
    expect(exporter.runs()).toEqual([]);
  });

  it("whenNoRun 'create-run' makes a chat_turn run per call", async () => {
    const { tracer, read } = setupTracing();
    const generate = wrapModelFunction(async (request: MessagesBody) => ({ ...message, model: request.model }), {
      tracer,
      shape: 'anthropic-messages',
      whenNoRun: 'create-run',
      chatId: CHAT,
      provider: 'anthropic',
    });
    await generate(body);
    const { runs, steps } = await read();
    expect(runs).toMatchObject([{ kind: 'chat_turn', status: 'completed', provider: 'anthropic', model: 'claude-test', summary: { first_message: 'Say hi in French' } }]);
    expect(steps).toHaveLength(1);
  });

  it('a normalizer that throws is logged; the call and its result are unaffected', async () => {
    const { tracer, read, logs } = setupTracing();
    const result = await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, () =>
      traceModelCall(
        {
          tracer,
          normalizeRequest: () => {
            throw new Error('bad request normalizer');
          },
          normalizeResponse: () => {
            throw new Error('bad response normalizer');
          },
        },
        {},
        async () => 42,
      ),
    );
    expect(result).toBe(42);
    const { steps } = await read();
    expect(steps[0]).toMatchObject({
      status: 'completed',
      normalizedRequest: { normalization_error: 'bad request normalizer' },
      metadata: { normalization_error: 'bad response normalizer' },
    });
    expect(logs.filter((line) => line.level === 'warn').map((line) => line.message)).toEqual([
      'chatdebug: request normalization failed; step recorded without it',
      'chatdebug: response normalization failed; step ended without it',
    ]);
  });
});

describe('wrapModelFunction: construction and pass-through (§7 item 35)', () => {
  it('a missing function or tracer is rejected when wrapping, not at the first call', () => {
    const { tracer } = setupTracing();
    for (const fn of [undefined, null, 'generate']) {
      expect(() => wrapModelFunction(fn as unknown as () => Promise<unknown>, { tracer })).toThrow(InvalidArgumentError);
    }
    expect(() => wrapModelFunction(async () => 1, {} as { tracer: Tracer })).toThrow(/tracer/);
  });

  it('with a disabled tracer the wrapper calls the model unchanged and records nothing', async () => {
    const exporter = new MemoryExporter();
    const tracer = createTracer({ exporter, enabled: false });
    const calls: unknown[][] = [];
    const generate = wrapModelFunction(async (request: { prompt: string }, n: number) => (calls.push([request, n]), `${request.prompt}:${n}`), { tracer });
    const result = await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, () => generate({ prompt: 'p' }, 2));
    await tracer.forceFlush();
    expect(result).toBe('p:2');
    expect(calls).toEqual([[{ prompt: 'p' }, 2]]);
    expect(exporter.runs()).toEqual([]);
    expect(exporter.steps()).toEqual([]);
  });

  it("a created run's label is the first user message's text parts concatenated with no separator (§7 item 28)", async () => {
    const { tracer, read } = setupTracing();
    const generate = wrapModelFunction(async () => message, { tracer, shape: 'anthropic-messages', whenNoRun: 'create-run', chatId: CHAT });
    await generate({
      model: 'claude-test',
      max_tokens: 8,
      system: 'You are terse.',
      messages: [
        { role: 'assistant', content: 'earlier' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
            { type: 'text', text: 'here' },
          ],
        },
        { role: 'user', content: 'second' },
      ],
    });
    const { runs } = await read();
    expect(runs[0]?.summary.first_message).toBe('lookhere');
  });
});
