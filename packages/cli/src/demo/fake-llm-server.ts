import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ModelReply } from './scripted-model.js';
import { countTokens, scriptedReply } from './scripted-model.js';

/** A provider failure the server answers the next requests with. */
export interface InjectedFault {
  /** HTTP status: 429 (rate limited), 500, 503... */
  status: number;
  /** How many requests in a row get it. @defaultValue 1 */
  times?: number;
  /** Sent as `retry-after-ms`, which the openai client honours before retrying. */
  retryAfterMillis?: number;
  /** The OpenAI-style error body. */
  error: { message: string; type: string; code?: string };
}

/** Options of {@link FakeLlmServer.start}. */
export interface FakeLlmServerOptions {
  /** Pause between streamed chunks, in milliseconds. @defaultValue 8 */
  chunkDelayMillis?: number;
}

/**
 * A local stand-in for an LLM provider on 127.0.0.1 (a free port): it speaks the OpenAI
 * chat-completions wire format, as JSON or as server-sent events (with the usage chunk when
 * `stream_options.include_usage` is set), answers from a small scripted model, and fails on
 * request like a real provider does (`inject`). Started and stopped by the demo; nothing leaves
 * the machine.
 */
export class FakeLlmServer {
  /** Requests served so far (faults included). */
  requestCount = 0;
  readonly #server: Server;
  readonly #faults: InjectedFault[] = [];
  readonly #chunkDelayMillis: number;
  #port = 0;
  #nextId = 1;

  private constructor(options: FakeLlmServerOptions) {
    this.#chunkDelayMillis = options.chunkDelayMillis ?? 8;
    this.#server = createServer((request, response) => {
      response.on('error', () => undefined);
      this.#handle(request, response).catch(() => response.destroy());
    });
  }

  /** Starts listening on 127.0.0.1, on a free port. */
  static async start(options: FakeLlmServerOptions = {}): Promise<FakeLlmServer> {
    const server = new FakeLlmServer(options);
    await new Promise<void>((resolve, reject) => {
      server.#server.once('error', reject);
      server.#server.listen(0, '127.0.0.1', () => resolve());
    });
    server.#port = (server.#server.address() as AddressInfo).port;
    return server;
  }

  /** The `baseURL` to give the openai client. */
  get baseURL(): string {
    return `http://127.0.0.1:${this.#port}/v1`;
  }

  /** The next requests fail with this fault (`times` of them), before the model answers again. */
  inject(fault: InjectedFault): void {
    this.#faults.push({ ...fault, times: fault.times ?? 1 });
  }

  /** Stops the server and drops open connections (keep-alive sockets included). */
  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    this.requestCount++;
    if (request.method !== 'POST' || !(request.url ?? '').startsWith('/v1/chat/completions')) {
      return sendJson(response, 404, { error: { message: `no route ${request.method ?? ''} ${request.url ?? ''}`, type: 'invalid_request_error' } });
    }
    let body: ChatRequestBody;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatRequestBody;
    } catch {
      return sendJson(response, 400, { error: { message: 'the request body is not valid JSON', type: 'invalid_request_error' } });
    }
    const fault = this.#faults[0];
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) this.#faults.shift();
      const headers: Record<string, string> = { 'x-request-id': `req_demo_${this.#nextId++}` };
      if (fault.retryAfterMillis !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMillis);
      return sendJson(response, fault.status, { error: { ...fault.error, param: null, code: fault.error.code ?? null } }, headers);
    }
    const model = typeof body.model === 'string' ? body.model : 'demo-model';
    const reply = scriptedReply(body.messages ?? [], (body.tools ?? []).length > 0);
    const usage = {
      prompt_tokens: countTokens(JSON.stringify(body.messages ?? [])),
      completion_tokens: countTokens(reply.text ?? JSON.stringify(reply.toolCalls ?? [])),
    };
    const id = `chatcmpl-demo${this.#nextId++}`;
    if (body.stream === true) return this.#stream(response, id, model, reply, body.stream_options?.include_usage === true ? usage : undefined);
    return sendJson(response, 200, completion(id, model, reply, usage));
  }

  async #stream(response: ServerResponse, id: string, model: string, reply: ModelReply, usage: Usage | undefined): Promise<void> {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': `req_demo_${this.#nextId++}` });
    const base = { id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model };
    const send = (data: unknown) => response.write(`data: ${JSON.stringify(data)}\n\n`);
    send({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    for (const piece of (reply.text ?? '').match(/\S+\s*/g) ?? []) {
      if (response.destroyed) return; // the client stopped reading (a user pressed Stop)
      await new Promise((resolve) => setTimeout(resolve, this.#chunkDelayMillis));
      if (response.destroyed) return;
      send({ ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] });
    }
    (reply.toolCalls ?? []).forEach((call, index) => {
      send({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }] }, finish_reason: null }] });
    });
    send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: reply.toolCalls ? 'tool_calls' : 'stop' }] });
    if (usage) send({ ...base, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } });
    response.end('data: [DONE]\n\n');
  }
}

/** The parts of a chat-completions request body the server reads. */
interface ChatRequestBody {
  model?: unknown;
  messages?: unknown[];
  tools?: unknown[];
  stream?: unknown;
  stream_options?: { include_usage?: unknown };
}

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}

function completion(id: string, model: string, reply: ModelReply, usage: Usage): Record<string, unknown> {
  const toolCalls = reply.toolCalls?.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: reply.text ?? null, refusal: null, ...(toolCalls ? { tool_calls: toolCalls } : {}) },
        finish_reason: toolCalls ? 'tool_calls' : 'stop',
        logprobs: null,
      },
    ],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  response.end(text);
}
