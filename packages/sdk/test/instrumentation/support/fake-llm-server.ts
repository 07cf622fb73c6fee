import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted reply of the fake server. */
export interface ScriptedReply {
  status?: number;
  headers?: Record<string, string>;
  /** A JSON body (content-type application/json unless headers say otherwise). */
  json?: unknown;
  /** A raw body. */
  body?: string | Uint8Array;
  /** Server-sent events: objects are sent as `data: <json>`; `event` names the SSE event. */
  sse?: { events: SseEvent[]; delayMillis?: number; done?: boolean; hang?: boolean };
  /** Send the body chunked (no content-length). */
  chunked?: boolean;
  /** Close the socket without answering. */
  destroy?: boolean;
}

export type SseEvent = { event?: string; data: unknown } | string;

/** A request the fake server received. */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * A tiny OpenAI-compatible server on 127.0.0.1 (port 0) for tests: it speaks chat completions
 * (JSON and SSE) and the Responses API (JSON and SSE) by default, and replies can be scripted
 * per request (429 with retry-after-ms then 200, 500, slow or hanging SSE...).
 */
export class FakeLlmServer {
  readonly requests: ReceivedRequest[] = [];
  readonly #server: Server;
  readonly #script: ScriptedReply[] = [];
  readonly #open = new Set<ServerResponse>();
  #port = 0;

  private constructor() {
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  static async start(): Promise<FakeLlmServer> {
    const server = new FakeLlmServer();
    await new Promise<void>((resolve) => server.#server.listen(0, '127.0.0.1', resolve));
    server.#port = (server.#server.address() as AddressInfo).port;
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** The `baseURL` for the openai client. */
  get baseURL(): string {
    return `${this.url}/v1`;
  }

  /** Queues replies used, in order, for the next requests (before the default routes). */
  script(...replies: ScriptedReply[]): void {
    this.#script.push(...replies);
  }

  reset(): void {
    this.#script.length = 0;
    this.requests.length = 0;
  }

  async close(): Promise<void> {
    for (const res of this.#open) res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.on('error', () => undefined);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    this.requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body });
    const reply = this.#script.shift() ?? defaultReply(req.url ?? '/', body);
    await this.#send(res, reply);
  }

  async #send(res: ServerResponse, reply: ScriptedReply): Promise<void> {
    if (reply.destroy) {
      res.socket?.destroy();
      return;
    }
    const status = reply.status ?? 200;
    const headers: Record<string, string> = { ...reply.headers };
    if (reply.sse) {
      headers['content-type'] ??= 'text/event-stream';
      res.writeHead(status, headers);
      this.#open.add(res);
      res.on('close', () => this.#open.delete(res));
      for (const event of reply.sse.events) {
        if (res.destroyed) return;
        res.write(formatSse(event));
        if (reply.sse.delayMillis) await new Promise((resolve) => setTimeout(resolve, reply.sse?.delayMillis));
      }
      if (reply.sse.done !== false && !reply.sse.hang) res.write('data: [DONE]\n\n');
      if (reply.sse.hang) return; // left open until the client goes away (or close())
      res.end();
      return;
    }
    let payload: Uint8Array | string = '';
    if (reply.json !== undefined) {
      payload = JSON.stringify(reply.json);
      headers['content-type'] ??= 'application/json';
    } else if (reply.body !== undefined) {
      payload = reply.body;
    }
    if (!reply.chunked) headers['content-length'] = String(Buffer.byteLength(payload));
    res.writeHead(status, headers);
    if (reply.chunked && payload.length > 0) {
      // Two writes so the body really arrives in pieces.
      const bytes = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
      const half = Math.floor(bytes.length / 2);
      res.write(bytes.subarray(0, half));
      res.end(bytes.subarray(half));
      return;
    }
    res.end(payload);
  }
}

function formatSse(event: SseEvent): string {
  if (typeof event === 'string') return event;
  const data = typeof event.data === 'string' ? event.data : JSON.stringify(event.data);
  return `${event.event ? `event: ${event.event}\n` : ''}data: ${data}\n\n`;
}

function defaultReply(url: string, body: string): ScriptedReply {
  let request: { stream?: boolean; stream_options?: { include_usage?: boolean } } = {};
  try {
    request = body ? (JSON.parse(body) as typeof request) : {};
  } catch {
    return { json: { received: Buffer.byteLength(body) } };
  }
  if (url.startsWith('/v1/chat/completions')) {
    if (!request.stream) return { json: chatCompletion({ text: 'Hello world' }) };
    return { sse: { events: chatChunks({ texts: ['Hello', ' world'], usage: request.stream_options?.include_usage === true }) } };
  }
  if (url.startsWith('/v1/responses')) {
    if (!request.stream) return { json: responsesResponse({ text: 'Hi from responses' }) };
    return { sse: { events: responsesEvents({ texts: ['Hi', ' from', ' responses'] }) } };
  }
  return { status: 404, json: { error: { message: `no route ${url.split('?')[0] ?? ''}`, type: 'not_found' } } };
}

/** A chat.completion object. */
export function chatCompletion(options: { text?: string; toolCalls?: { id: string; name: string; arguments: string }[]; finishReason?: string }): Record<string, unknown> {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'gpt-test',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: options.text ?? null,
          refusal: null,
          ...(options.toolCalls ? { tool_calls: options.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })) } : {}),
        },
        finish_reason: options.finishReason ?? (options.toolCalls ? 'tool_calls' : 'stop'),
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18, prompt_tokens_details: { cached_tokens: 3 }, completion_tokens_details: { reasoning_tokens: 2 } },
  };
}

/** chat.completion.chunk events: text deltas, optional tool calls (by index), finish, optional usage chunk. */
export function chatChunks(options: {
  texts?: string[];
  toolCalls?: { id: string; name: string; argumentChunks: string[] }[];
  usage?: boolean;
  finish?: boolean;
}): SseEvent[] {
  const base = { id: 'chatcmpl-2', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-test' };
  const events: SseEvent[] = [{ data: { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] } }];
  for (const text of options.texts ?? []) events.push({ data: { ...base, choices: [{ index: 0, delta: { content: text }, finish_reason: null }] } });
  (options.toolCalls ?? []).forEach((call, index) => {
    call.argumentChunks.forEach((chunk, i) => {
      const toolCall = i === 0 ? { index, id: call.id, type: 'function', function: { name: call.name, arguments: chunk } } : { index, function: { arguments: chunk } };
      events.push({ data: { ...base, choices: [{ index: 0, delta: { tool_calls: [toolCall] }, finish_reason: null }] } });
    });
  });
  if (options.finish !== false) {
    const reason = options.toolCalls?.length ? 'tool_calls' : 'stop';
    events.push({ data: { ...base, choices: [{ index: 0, delta: {}, finish_reason: reason }] } });
  }
  if (options.usage) events.push({ data: { ...base, choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } } });
  return events;
}

/** A Responses API response object. */
export function responsesResponse(options: { text?: string; functionCall?: { callId: string; name: string; arguments: string } }): Record<string, unknown> {
  const output: unknown[] = [];
  if (options.text !== undefined) {
    output.push({ type: 'message', id: 'msg_1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: options.text, annotations: [] }] });
  }
  if (options.functionCall) {
    output.push({ type: 'function_call', id: 'fc_1', call_id: options.functionCall.callId, name: options.functionCall.name, arguments: options.functionCall.arguments, status: 'completed' });
  }
  return {
    id: 'resp_1',
    object: 'response',
    created_at: 1_700_000_000,
    status: 'completed',
    model: 'gpt-test',
    output,
    usage: { input_tokens: 9, output_tokens: 4, total_tokens: 13, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 1 } },
  };
}

/** Responses API stream events: created, text deltas, completed (with usage). */
export function responsesEvents(options: { texts: string[]; complete?: boolean }): SseEvent[] {
  const text = options.texts.join('');
  const events: SseEvent[] = [
    { event: 'response.created', data: { type: 'response.created', sequence_number: 0, response: { id: 'resp_2', object: 'response', status: 'in_progress', output: [] } } },
  ];
  let sequence = 1;
  for (const delta of options.texts) {
    events.push({ event: 'response.output_text.delta', data: { type: 'response.output_text.delta', sequence_number: sequence++, item_id: 'msg_1', output_index: 0, content_index: 0, delta } });
  }
  if (options.complete !== false) {
    const response = responsesResponse({ text });
    events.push({ event: 'response.completed', data: { type: 'response.completed', sequence_number: sequence, response: { ...response, id: 'resp_2' } } });
  }
  return events;
}
