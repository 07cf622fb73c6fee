import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import {
  StreamAccumulator,
  createAnthropicEventObserver,
  createChatCompletionChunkObserver,
  createResponsesEventObserver,
  normalizeAnthropicRequest,
  normalizeAnthropicResponse,
  normalizeChatCompletionRequest,
  normalizeChatCompletionResponse,
  normalizeFinishReason,
  normalizeProviderError,
  normalizeResponsesRequest,
  normalizeUsage,
  classifyCallError,
} from '@chatdebug/sdk';

const PNG_DATA = `data:image/png;base64,${'iVBORw0KGgo'.repeat(50)}`;

function feed(observer: (part: unknown, accumulator: StreamAccumulator) => void, parts: unknown[]): StreamAccumulator {
  const accumulator = new StreamAccumulator();
  for (const part of parts) {
    accumulator.part();
    observer(part, accumulator);
  }
  return accumulator;
}

describe('OpenAI chat-completions request normalizer (§6.5)', () => {
  const request = {
    model: 'gpt-4o',
    messages: [
      { role: 'developer', content: 'rules' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'look' },
          { type: 'image_url', image_url: { url: PNG_DATA } },
          { type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0xLjQK' } },
          { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
        ],
      },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: [{ type: 'text', text: 'result text' }] },
    ],
    tools: [{ type: 'function', function: { name: 'f', description: 'does f', parameters: { type: 'object', properties: { api_key: { type: 'string' } } } } }],
    tool_choice: { type: 'function', function: { name: 'f' } },
    max_tokens: 100,
    top_p: 0.9,
    presence_penalty: 0.1,
    frequency_penalty: 0.2,
    stream: true,
    stream_options: { include_usage: true },
    response_format: { type: 'json_object' },
    user: 'u-1',
  };

  it('maps messages, parts, tools, options, tool choice and counts provider options', () => {
    const normalized = normalizeChatCompletionRequest(request);
    expect(normalized).toEqual({
      model: 'gpt-4o',
      messages: [
        { role: 'developer', parts: [{ type: 'text', text: 'rules' }] },
        {
          role: 'user',
          parts: [
            { type: 'text', text: 'look' },
            { type: 'file', media_type: 'image/png' },
            { type: 'file', filename: 'a.pdf', media_type: 'application/pdf' },
            { type: 'file', media_type: 'audio/wav' },
          ],
        },
        { role: 'assistant', parts: [{ type: 'tool-call', tool_call_id: 'call_1', tool_name: 'f', arguments: '{"x":1}' }] },
        { role: 'tool', parts: [{ type: 'tool-result', tool_call_id: 'call_1', result: 'result text' }] },
      ],
      tools: [{ type: 'function', name: 'f', description: 'does f', has_input_schema: true, input_schema: { type: 'object', properties: { api_key: { type: 'string' } } } }],
      options: { max_output_tokens: 100, top_p: 0.9, presence_penalty: 0.1, frequency_penalty: 0.2 },
      tool_choice: { type: 'function', function: { name: 'f' } },
      provider_option_count: 2,
    });
  });

  it('keeps parameter names in tool schemas but redacts sensitive values inside them', () => {
    const [tool] = normalizeChatCompletionRequest({
      tools: [{ type: 'function', function: { name: 't', parameters: { type: 'object', properties: { password: { type: 'string', default: 'x' } }, client_secret: 'leak' } } }],
    }).tools;
    expect(tool?.input_schema).toEqual({ type: 'object', properties: { password: { type: 'string', default: 'x' } }, client_secret: '[REDACTED]' });
  });

  it('never stores file data', () => {
    const text = JSON.stringify(normalizeChatCompletionRequest(request));
    expect(text).not.toContain('iVBORw0KGgo');
    expect(text).not.toContain('JVBERi0');
    expect(text).not.toContain('UklGRg');
  });

  it('bounds text and arguments with the original length', () => {
    const long = 'é'.repeat(30);
    const normalized = normalizeChatCompletionRequest(
      { messages: [{ role: 'user', content: long }, { role: 'assistant', tool_calls: [{ id: 'c', function: { name: 'n', arguments: long } }] }] },
      { bounds: { maxTextRunes: 10 } },
    );
    expect(normalized.messages[0]?.parts[0]).toEqual({ type: 'text', text: `${'é'.repeat(9)}…`, text_length: 30 });
    expect(normalized.messages[1]?.parts[0]).toMatchObject({ arguments: `${'é'.repeat(9)}…`, input_length: 30 });
  });

  it('survives garbage input', () => {
    for (const input of [undefined, null, 42, 'text', { messages: 'nope', tools: [null, 1] }, { messages: [null, 1, { content: [null, { type: 'weird' }] }] }]) {
      expect(() => normalizeChatCompletionRequest(input)).not.toThrow();
    }
    expect(normalizeChatCompletionRequest({ messages: [{ role: 'user', content: [{ type: 'weird' }] }] }).messages[0]?.parts).toEqual([{ type: 'weird' }]);
  });
});

describe('OpenAI chat-completions response and chunk observer', () => {
  it('normalizes the first choice, tool calls and usage', () => {
    const response = normalizeChatCompletionResponse({
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'ok', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    });
    expect(response).toEqual({
      content: [
        { type: 'text', text: 'ok' },
        { type: 'tool-call', tool_call_id: 'c1', tool_name: 'f', arguments: '{}', input_length: 2 },
      ],
      finish_reason: 'tool_calls',
      usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 },
      warnings: [],
    });
  });

  it('maps tool-call chunks that carry only an index to the id of their first chunk', () => {
    const chunk = (delta: unknown, finish: string | null = null) => ({ choices: [{ index: 0, delta, finish_reason: finish }] });
    const accumulator = feed(createChatCompletionChunkObserver(), [
      chunk({ role: 'assistant', content: '' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_x', type: 'function', function: { name: 'a', arguments: '{"k"' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_y', type: 'function', function: { name: 'b', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }),
      chunk({ tool_calls: [{ index: 1, function: { arguments: '[]' } }] }),
      chunk({}, 'tool_calls'),
      { choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } },
    ]);
    expect(accumulator.response()).toMatchObject({
      content: [
        { type: 'tool-call', tool_call_id: 'call_x', tool_name: 'a', arguments: '{"k":1}' },
        { type: 'tool-call', tool_call_id: 'call_y', tool_name: 'b', arguments: '[]' },
      ],
      finish_reason: 'tool_calls',
      usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 },
    });
    expect(accumulator.finished).toBe(true);
    expect(accumulator.metadata()).toMatchObject({ stream_summary: { text_delta_count: 0, tool_call_count: 2, part_count: 7 } });
  });
});

describe('OpenAI responses request and event observer', () => {
  it('maps input items: messages, function calls and outputs, reasoning, built-in tools', () => {
    const normalized = normalizeResponsesRequest({
      model: 'o4',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'hi' }, { type: 'input_image', image_url: PNG_DATA }, { type: 'input_file', filename: 'r.txt', file_data: 'data:text/plain;base64,aGk=' }] },
        { type: 'reasoning', id: 'rs', summary: [{ type: 'summary_text', text: 'thinking' }] },
        { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c1', output: 'done' },
        { type: 'item_reference', id: 'x' },
      ],
      tools: [{ type: 'web_search' }, { type: 'mcp', server_label: 'docs', server_url: 'https://mcp.example' }],
      reasoning: { effort: 'low' },
      temperature: 1,
    });
    expect(normalized).toEqual({
      model: 'o4',
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'hi' }, { type: 'file', media_type: 'image/png' }, { type: 'file', filename: 'r.txt', media_type: 'text/plain' }] },
        { role: 'assistant', parts: [{ type: 'reasoning', text: 'thinking' }] },
        { role: 'assistant', parts: [{ type: 'tool-call', tool_call_id: 'c1', tool_name: 'f', arguments: '{}' }] },
        { role: 'tool', parts: [{ type: 'tool-result', tool_call_id: 'c1', result: 'done' }] },
        { role: 'assistant', parts: [{ type: 'item_reference' }] },
      ],
      tools: [
        { type: 'web_search', name: 'web_search', has_input_schema: false },
        { type: 'mcp', name: 'docs', has_input_schema: false },
      ],
      options: { temperature: 1 },
      provider_option_count: 1,
    });
  });

  it('accumulates function-call arguments named by item id, and failure events count as errors', () => {
    const accumulator = feed(createResponsesEventObserver(), [
      { type: 'response.output_item.added', item: { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'lookup', arguments: '' } },
      { type: 'response.function_call_arguments.delta', item_id: 'fc_1', delta: '{"q":' },
      { type: 'response.function_call_arguments.delta', item_id: 'fc_1', delta: '"z"}' },
      { type: 'response.reasoning_summary_text.delta', delta: 'hmm' },
      { type: 'response.failed', response: { error: { message: 'server overloaded' } } },
    ]);
    expect(accumulator.response()).toMatchObject({
      content: [
        { type: 'tool-call', tool_call_id: 'call_1', tool_name: 'lookup', arguments: '{"q":"z"}' },
        { type: 'reasoning', text: 'hmm' },
      ],
    });
    expect(accumulator.sawError).toBe(true);
    expect(accumulator.lastError).toBe('server overloaded');
  });
});

describe('Anthropic messages normalizers and event observer', () => {
  it('normalizes a request: system, blocks, tool use and results, options with top_k', () => {
    const normalized = normalizeAnthropicRequest({
      model: 'claude-x',
      system: [{ type: 'text', text: 'sys' }],
      max_tokens: 1024,
      top_k: 5,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'hello' }, { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } }] },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'plan', signature: 'sig' }, { type: 'tool_use', id: 'tu_1', name: 'calc', input: { a: 1 } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu_1', content: [{ type: 'text', text: '2' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'xx' } }], is_error: true }] },
      ],
      tools: [{ name: 'calc', description: 'adds', input_schema: { type: 'object' } }],
      tool_choice: { type: 'auto' },
      metadata: { user_id: 'u' },
    });
    expect(normalized).toEqual({
      model: 'claude-x',
      messages: [
        { role: 'system', parts: [{ type: 'text', text: 'sys' }] },
        { role: 'user', parts: [{ type: 'text', text: 'hello' }, { type: 'file', media_type: 'image/jpeg' }] },
        { role: 'assistant', parts: [{ type: 'reasoning', text: 'plan' }, { type: 'tool-call', tool_call_id: 'tu_1', tool_name: 'calc', arguments: '{"a":1}' }] },
        { role: 'user', parts: [{ type: 'tool-result', tool_call_id: 'tu_1', result: '2\n[media output: image/png]', is_error: true }] },
      ],
      tools: [{ type: 'function', name: 'calc', description: 'adds', has_input_schema: true, input_schema: { type: 'object' } }],
      options: { max_output_tokens: 1024, top_k: 5 },
      tool_choice: { type: 'auto' },
      provider_option_count: 1,
    });
    expect(JSON.stringify(normalized)).not.toContain('/9j/4AAQ');
  });

  it('normalizes a response: stop reason mapped, cache tokens counted into the prompt', () => {
    expect(
      normalizeAnthropicResponse({
        content: [{ type: 'text', text: 'Hi' }, { type: 'tool_use', id: 'tu', name: 'calc', input: {} }],
        stop_reason: 'tool_use',
        usage: { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 100, cache_read_input_tokens: 20 },
      }),
    ).toEqual({
      content: [
        { type: 'text', text: 'Hi' },
        { type: 'tool-call', tool_call_id: 'tu', tool_name: 'calc', arguments: '{}', input_length: 2 },
      ],
      finish_reason: 'tool_calls',
      raw_finish_reason: 'tool_use',
      usage: { input_tokens: 130, output_tokens: 5, total_tokens: 135, cache_creation_tokens: 100, cache_read_tokens: 20 },
      warnings: [],
    });
  });

  it('observes SSE events: text merged, input_json deltas per tool id, stop reason and usage', () => {
    const accumulator = feed(createAnthropicEventObserver(), [
      { type: 'message_start', message: { usage: { input_tokens: 12, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Let me ' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'check.' } },
      { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'calc', input: {} } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"a":' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '2}' } },
      { type: 'ping' },
      { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } },
      { type: 'message_stop' },
    ]);
    expect(accumulator.response()).toMatchObject({
      content: [
        { type: 'text', text: 'Let me check.' },
        { type: 'tool-call', tool_call_id: 'toolu_1', tool_name: 'calc', arguments: '{"a":2}' },
      ],
      finish_reason: 'tool_calls',
      usage: { input_tokens: 12, output_tokens: 9, total_tokens: 21 },
    });
    expect(accumulator.metadata()).toMatchObject({ stream_summary: { text_delta_count: 2, tool_call_count: 1, part_count: 10 } });
  });

  it('an error event marks the stream as failed', () => {
    const accumulator = feed(createAnthropicEventObserver(), [{ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }]);
    expect(accumulator.sawError).toBe(true);
    expect(accumulator.errorPayload()).toEqual({ message: 'Overloaded', type: 'stream_error' });
  });
});

describe('usage and finish reasons', () => {
  const usageCases: { name: string; raw: unknown; expected: unknown }[] = [
    { name: 'openai chat', raw: { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14, prompt_tokens_details: { cached_tokens: 6 }, completion_tokens_details: { reasoning_tokens: 2 } }, expected: { input_tokens: 10, output_tokens: 4, total_tokens: 14, reasoning_tokens: 2, cache_read_tokens: 6 } },
    { name: 'openai responses', raw: { input_tokens: 8, output_tokens: 2, total_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } }, expected: { input_tokens: 8, output_tokens: 2, total_tokens: 10 } },
    { name: 'anthropic', raw: { input_tokens: 5, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 7 }, expected: { input_tokens: 12, output_tokens: 1, total_tokens: 13, cache_read_tokens: 7 } },
    { name: 'already normalized', raw: { input_tokens: 1, output_tokens: 2, total_tokens: 3, cache_creation_tokens: 4 }, expected: { input_tokens: 1, output_tokens: 2, total_tokens: 3, cache_creation_tokens: 4 } },
    { name: 'nothing numeric', raw: { foo: 'bar' }, expected: undefined },
    { name: 'not an object', raw: 'x', expected: undefined },
  ];
  it.each(usageCases)('$name', ({ raw, expected }) => {
    expect(normalizeUsage(raw)).toEqual(expected);
  });

  it.each([
    ['stop', 'stop'],
    ['end_turn', 'stop'],
    ['max_tokens', 'length'],
    ['max_output_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['content_filter', 'content_filter'],
    ['pause_turn', 'other'],
    ['', ''],
  ])('finish reason %s → %s', (raw, expected) => {
    expect(normalizeFinishReason(raw)).toBe(expected);
  });
});

describe('provider error normalizer', () => {
  const headers = new Headers({ 'x-request-id': 'req_123' });
  const cases: { name: string; error: unknown; expected: Record<string, unknown>; status: string }[] = [
    {
      name: 'openai RateLimitError',
      error: new OpenAI.RateLimitError(429, { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' }, undefined, headers),
      expected: { message: '429 Rate limit reached', type: 'RateLimitError', provider_status: 429, provider_title: 'requests', is_retryable: true, request_id: 'req_123' },
      status: 'error',
    },
    {
      name: 'openai BadRequestError',
      error: new OpenAI.BadRequestError(400, { message: 'bad param', type: 'invalid_request_error' }, undefined, new Headers()),
      expected: { type: 'BadRequestError', provider_status: 400, provider_title: 'invalid_request_error', is_retryable: false },
      status: 'error',
    },
    {
      name: 'openai connection error',
      error: new OpenAI.APIConnectionError({ message: 'Connection error.' }),
      expected: { message: 'Connection error.', type: 'APIConnectionError', is_retryable: true },
      status: 'error',
    },
    {
      name: 'openai timeout',
      error: new OpenAI.APIConnectionTimeoutError(),
      expected: { type: 'APIConnectionTimeoutError', context_error: 'deadline exceeded', is_retryable: true },
      status: 'interrupted',
    },
    {
      name: 'openai user abort',
      error: new OpenAI.APIUserAbortError(),
      expected: { type: 'APIUserAbortError', context_error: 'canceled', is_retryable: false },
      status: 'interrupted',
    },
    {
      name: 'anthropic-shaped overloaded error',
      error: Object.assign(new Error('529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'), { status: 529, error: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } }),
      expected: { provider_status: 529, provider_title: 'overloaded_error', is_retryable: true },
      status: 'error',
    },
    {
      name: 'a message with a URL and a key',
      error: new Error('GET https://api.example.com/v1?key=AIzaSyA-secret failed'),
      expected: { message: 'GET https://api.example.com/v1?key=[REDACTED] failed', type: 'Error', is_retryable: false },
      status: 'error',
    },
    { name: 'a string', error: 'boom', expected: { message: 'boom', type: 'string', is_retryable: false }, status: 'error' },
  ];
  it.each(cases)('$name', ({ error, expected, status }) => {
    expect(normalizeProviderError(error)).toMatchObject(expected);
    expect(classifyCallError(error)).toBe(status);
  });
});
