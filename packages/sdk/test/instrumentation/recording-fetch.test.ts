import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@chatdebug/sdk';
import { REDACTED, TRUNCATED, createRecordingFetch, isRecordingFetch, traceModelCall } from '@chatdebug/sdk';
import { MockClock } from '@chatdebug/testing';
import { CollectingSink } from './support/collecting-sink.js';
import { FakeLlmServer } from './support/fake-llm-server.js';
import { CHAT, attemptsOf, eventually, setupTracing } from './support/harness.js';

let server: FakeLlmServer;
beforeAll(async () => {
  server = await FakeLlmServer.start();
});
afterAll(async () => {
  await server.close();
});
afterEach(() => server.reset());

function recorder(options: { maxBodyBytes?: number; logger?: Logger } = {}) {
  const sink = new CollectingSink();
  const warnings: string[] = [];
  const logger: Logger = options.logger ?? { debug() {}, info() {}, warn: (message) => void warnings.push(message), error() {} };
  const fetch = createRecordingFetch({ sink: () => sink, logger, ...(options.maxBodyBytes ? { bounds: { maxBodyBytes: options.maxBodyBytes } } : {}) });
  return { sink, fetch, warnings };
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('recording fetch: pass-through and capture (§7 item 52)', () => {
  it('outside a step is a pure pass-through: the inner promise and Response come back untouched', async () => {
    const response = new Response('{"ok":true}', { headers: { 'content-type': 'application/json' } });
    const promise = Promise.resolve(response);
    const calls: unknown[][] = [];
    const fetch = createRecordingFetch({ fetch: (...args) => (calls.push(args), promise) });
    const init = { method: 'POST', body: '{"a":1}' };
    const returned = fetch('http://example.invalid/x', init);
    expect(returned).toBe(promise);
    expect(await returned).toBe(response);
    expect(calls).toEqual([['http://example.invalid/x', init]]);
    expect(calls[0]?.[1]).toBe(init);
    expect(fetch.stats()).toEqual({ requests: 0, recorded: 0, recordingFailures: 0 });
    expect(isRecordingFetch(fetch)).toBe(true);
    expect(isRecordingFetch(globalThis.fetch)).toBe(false);
  });

  it('inside a step records the request with the auth header and JSON secrets redacted; the real request is unchanged', async () => {
    const { tracer, read } = setupTracing();
    const fetch = createRecordingFetch();
    const body = JSON.stringify({ model: 'm', api_key: 'sk-body-secret', max_tokens: 5 });
    const headers = { Authorization: 'Bearer sk-header-secret', 'Content-Type': 'application/json', 'X-Trace': 'keep' };
    const init = { method: 'POST', headers, body };
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, () =>
      tracer.traceCall({}, async () => {
        const response = await fetch(`${server.url}/v1/chat/completions`, init);
        return response.json();
      }),
    );
    // What the server saw is exactly what was sent.
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.body).toBe(body);
    expect(server.requests[0]?.headers.authorization).toBe('Bearer sk-header-secret');
    expect(init).toEqual({ method: 'POST', headers: { Authorization: 'Bearer sk-header-secret', 'Content-Type': 'application/json', 'X-Trace': 'keep' }, body });
    const { steps } = await read();
    const [attempt] = attemptsOf(steps[0]);
    expect(attempt).toMatchObject({
      number: 1,
      status: 'completed',
      method: 'POST',
      url: `${server.url}/v1/chat/completions`,
      path: '/v1/chat/completions',
      request_headers: { authorization: REDACTED, 'content-type': 'application/json', 'x-trace': 'keep' },
      response_status: 200,
    });
    expect(JSON.parse(attempt?.request_body ?? '')).toEqual({ model: 'm', api_key: REDACTED, max_tokens: 5 });
    expect(JSON.parse(attempt?.response_body ?? '')).toMatchObject({ object: 'chat.completion' });
    expect(attempt?.duration_ms).toBeGreaterThanOrEqual(0);
    expect(Date.parse(attempt?.finished_at ?? '')).toBeGreaterThanOrEqual(Date.parse(attempt?.started_at ?? ''));
  });
});

describe('recording fetch: URL and request body (§7 item 53)', () => {
  it('redacts sensitive query values and strips userinfo from the stored URL', async () => {
    const { sink, fetch } = recorder();
    const inner = createRecordingFetch({
      sink: () => sink,
      fetch: async () => new Response(null, { status: 204 }),
    });
    await inner('https://user:pw@api.example.com/v1/models?key=AIza-secret&alt=json');
    await (await fetch(`${server.url}/v1/models?api_key=sk-q&limit=2`, { method: 'GET' })).text();
    expect(sink.attempts.map((a) => a.url)).toEqual([
      `https://api.example.com/v1/models?key=${REDACTED}&alt=json`,
      `${server.url}/v1/models?api_key=${REDACTED}&limit=2`,
    ]);
    expect(sink.attempts[1]?.path).toBe('/v1/models');
  });

  it('an oversized request body is stored as [TRUNCATED]; a non-replayable body is not captured', async () => {
    const { sink, fetch } = recorder({ maxBodyBytes: 64 });
    await (await fetch(`${server.url}/echo`, { method: 'POST', body: JSON.stringify({ text: 'x'.repeat(200) }) })).text();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"streamed":true}'));
        controller.close();
      },
    });
    await (await fetch(`${server.url}/echo`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit)).text();
    expect(sink.attempts[0]?.request_body).toBe(TRUNCATED);
    expect(sink.attempts[1]).not.toHaveProperty('request_body');
    // The server still got both bodies whole.
    expect(server.requests[0]?.body).toHaveLength(JSON.stringify({ text: 'x'.repeat(200) }).length);
    expect(server.requests[1]?.body).toBe('{"streamed":true}');
  });

  it('captures URLSearchParams (redacted like a query), typed arrays and Blobs', async () => {
    const { sink, fetch } = recorder();
    await (await fetch(`${server.url}/a`, { method: 'POST', body: new URLSearchParams({ client_secret: 's3', grant_type: 'x' }) })).text();
    await (await fetch(`${server.url}/b`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: new TextEncoder().encode('{"password":"p"}') })).text();
    await (await fetch(`${server.url}/c`, { method: 'POST', body: new Blob(['{"token":"t","n":1}'], { type: 'application/json' }) })).text();
    await eventually(() => sink.attempts.length === 3);
    expect(sink.attempts.map((a) => a.request_body)).toEqual([
      `client_secret=${REDACTED}&grant_type=x`,
      `{"password":"${REDACTED}"}`,
      `{"token":"${REDACTED}","n":1}`,
    ]);
  });
});

describe('recording fetch: responses (§7 item 54)', () => {
  it('redacts response headers and JSON body, and records only once the body is read', async () => {
    const { sink, fetch } = recorder();
    server.script({ json: { id: 'x', refresh_token: 'rt-secret', usage: { input_tokens: 3 } }, headers: { 'set-cookie': 'sid=abc', 'x-ratelimit-remaining-tokens': '999' } });
    const response = await fetch(`${server.url}/v1/x`);
    expect(sink.attempts).toHaveLength(0);
    expect(await response.json()).toEqual({ id: 'x', refresh_token: 'rt-secret', usage: { input_tokens: 3 } });
    expect(sink.attempts).toHaveLength(1);
    const attempt = sink.attempts[0];
    expect(attempt?.status).toBe('completed');
    expect(attempt?.response_headers).toMatchObject({ 'set-cookie': REDACTED, 'x-ratelimit-remaining-tokens': '999', 'content-type': 'application/json' });
    expect(JSON.parse(attempt?.response_body ?? '')).toEqual({ id: 'x', refresh_token: REDACTED, usage: { input_tokens: 3 } });
  });

  it('keeps SSE verbatim, and partial reads by a decoder still complete the attempt', async () => {
    const { sink, fetch } = recorder();
    server.script({ sse: { events: [{ data: { n: 1 } }, { data: { n: 2 } }] } });
    const response = await fetch(`${server.url}/sse`);
    const reader = response.body?.getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (;;) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
    expect(text).toBe('data: {"n":1}\n\ndata: {"n":2}\n\ndata: [DONE]\n\n');
    expect(sink.attempts).toHaveLength(1);
    expect(sink.attempts[0]).toMatchObject({ status: 'completed', response_body: text });
  });

  it('an event stream its reader stops reading still yields its attempt, in the final write of its step (any wrapper)', async () => {
    const { tracer, read } = setupTracing();
    const fetch = createRecordingFetch();
    server.script({ sse: { events: [{ data: { n: 1 } }], done: false, hang: true } });
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, () =>
      traceModelCall({ tracer }, {}, async () => {
        const response = await fetch(`${server.url}/sse`);
        const reader = response.body?.getReader();
        await reader?.read(); // one event, then the caller walks away without cancelling
        return { ok: true };
      }),
    );
    const { steps } = await read();
    expect(steps).toHaveLength(1);
    expect(attemptsOf(steps[0])).toMatchObject([
      { number: 1, status: 'failed', response_status: 200, response_body: 'data: {"n":1}\n\n', error: expect.stringContaining('the step ended before the stream was read to the end') },
    ]);
  });

  it('the duration includes the time spent reading the body', async () => {
    const clock = new MockClock();
    const sink = new CollectingSink(clock);
    const fetch = createRecordingFetch({ sink: () => sink });
    server.script({ json: { ok: true } });
    const response = await fetch(`${server.url}/slow-reader`);
    clock.advance(1_500);
    await response.text();
    expect(sink.attempts).toMatchObject([{ status: 'completed', duration_ms: 1_500 }]);
  });

  it('a response without a content type is redacted as JSON, and fails closed when it is not JSON', async () => {
    const sink = new CollectingSink();
    const replies = ['{"id":"r1","session_token":"st-secret","usage":{"input_tokens":2}}', 'session_token=st-secret-2'];
    const fetch = createRecordingFetch({ sink: () => sink, fetch: async () => new Response(new TextEncoder().encode(replies.shift()), { status: 200 }) });
    const first = await fetch('https://api.example.com/v1/a');
    expect(first.headers.get('content-type')).toBeNull();
    expect(await first.text()).toContain('st-secret');
    await (await fetch('https://api.example.com/v1/b')).text();
    await eventually(() => sink.attempts.length === 2);
    expect(JSON.parse(sink.attempts[0]?.response_body ?? '')).toEqual({ id: 'r1', session_token: REDACTED, usage: { input_tokens: 2 } });
    expect(sink.attempts[1]?.response_body).not.toContain('st-secret');
    expect(JSON.parse(sink.attempts[1]?.response_body ?? '')).toMatchObject({ reason: 'invalid_json' });
  });

  it('a complete chunked JSON body is completed; a trailing JSON document is failed', async () => {
    const { sink, fetch } = recorder();
    server.script({ body: '{"a":1,"token":"t"}', chunked: true, headers: { 'content-type': 'application/json' } });
    server.script({ body: '{"a":1}{"b":2}', chunked: true, headers: { 'content-type': 'application/json' } });
    await (await fetch(`${server.url}/ok`)).text();
    await (await fetch(`${server.url}/trailing`)).text();
    expect(sink.attempts[0]).toMatchObject({ status: 'completed', response_body: `{"a":1,"token":"${REDACTED}"}` });
    expect(sink.attempts[1]).toMatchObject({ status: 'failed', error: expect.stringContaining('unexpected EOF') });
    expect(JSON.parse(sink.attempts[1]?.response_body ?? '')).toMatchObject({ reason: 'trailing_data' });
  });

  it('NDJSON: lines redacted one by one; an incomplete last line fails the attempt', async () => {
    const { sink, fetch } = recorder();
    server.script({ body: '{"api_key":"k","i":1}\n{"i":2}\n', chunked: true, headers: { 'content-type': 'application/x-ndjson' } });
    server.script({ body: '{"i":1}\n{"i":', chunked: true, headers: { 'content-type': 'application/x-ndjson' } });
    await (await fetch(`${server.url}/nd1`)).text();
    await (await fetch(`${server.url}/nd2`)).text();
    expect(sink.attempts[0]).toMatchObject({ status: 'completed', response_body: `{"api_key":"${REDACTED}","i":1}\n{"i":2}\n` });
    expect(sink.attempts[1]).toMatchObject({ status: 'failed', error: expect.stringContaining('NDJSON') });
  });

  it('a body read to its known length and then closed is completed (§7 item 42)', async () => {
    const { sink, fetch } = recorder();
    server.script({ status: 201, json: { id: 'created' } });
    const response = await fetch(`${server.url}/create`, { method: 'POST', body: '{}' });
    const length = Number(response.headers.get('content-length'));
    const reader = response.body?.getReader();
    let read = 0;
    while (read < length) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      read += chunk.value.byteLength;
    }
    expect(sink.attempts).toHaveLength(0);
    await reader?.cancel();
    expect(sink.attempts).toMatchObject([{ status: 'completed', response_status: 201, response_body: '{"id":"created"}' }]);
  });

  it('a body cancelled before being read keeps what had already arrived (a 429 dropped before a retry)', async () => {
    const { sink, fetch } = recorder();
    server.script({ status: 429, json: { error: { message: 'x'.repeat(1000) } } });
    const response = await fetch(`${server.url}/unread`);
    await response.body?.cancel();
    await eventually(() => sink.attempts.length > 0);
    expect(sink.attempts).toHaveLength(1);
    expect(sink.attempts[0]).toMatchObject({ status: 'completed', response_status: 429 });
    expect(JSON.parse(sink.attempts[0]?.response_body ?? '')).toEqual({ error: { message: 'x'.repeat(1000) } });
  });

  it('a cancelled body that does not finish arriving is one failed attempt, after a short drain', async () => {
    const clock = new MockClock();
    const sink = new CollectingSink(clock);
    const fetch = createRecordingFetch({ sink: () => sink });
    const hanging = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":');
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(hanging.address() as AddressInfo).port}/hang`);
      await response.body?.cancel();
      expect(sink.attempts).toHaveLength(0);
      await clock.advanceAsync(250);
      await eventually(() => sink.attempts.length > 0);
      expect(sink.attempts).toHaveLength(1);
      expect(sink.attempts[0]).toMatchObject({ status: 'failed', response_status: 200, error: expect.stringContaining('closed by the reader') });
    } finally {
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
    }
  });

  it('HEAD and 204 responses have no body and are completed at once', async () => {
    const { sink, fetch } = recorder();
    server.script({ json: { ignored: true } }, { status: 204 });
    const head = await fetch(`${server.url}/head`, { method: 'HEAD' });
    const empty = await fetch(`${server.url}/empty`, { method: 'DELETE' });
    expect(head.status).toBe(200);
    expect(empty.status).toBe(204);
    expect(sink.attempts.map((a) => [a.method, a.status, a.response_status, a.response_body])).toEqual([
      ['HEAD', 'completed', 200, undefined],
      ['DELETE', 'completed', 204, undefined],
    ]);
  });

  it('a refused connection is a failed attempt classified as network; the caller gets the original error', async () => {
    const { sink, fetch } = recorder();
    const port = await freePort();
    const error = await fetch(`http://127.0.0.1:${port}/v1/x?token=t`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(sink.attempts).toHaveLength(1);
    expect(sink.attempts[0]).toMatchObject({ status: 'failed', retry_classification: 'network', url: `http://127.0.0.1:${port}/v1/x?token=${REDACTED}` });
    expect(sink.attempts[0]?.error).toMatch(/ECONNREFUSED/);
    expect(sink.attempts[0]).not.toHaveProperty('response_status');
  });

  it('bounds a 10 MB body while the reader still gets every byte', async () => {
    const { sink, fetch } = recorder();
    const big = Buffer.alloc(10 * 1024 * 1024, 'y');
    big.write('{"data":"', 0);
    big.write('"}', big.length - 2);
    server.script({ body: big, headers: { 'content-type': 'application/json' } });
    server.script({ body: 'z'.repeat(200_000), headers: { 'content-type': 'text/plain' } });
    expect((await (await fetch(`${server.url}/big.json`)).arrayBuffer()).byteLength).toBe(big.length);
    expect((await (await fetch(`${server.url}/big.txt`)).text()).length).toBe(200_000);
    expect(sink.attempts[0]).toMatchObject({ status: 'completed', response_body: TRUNCATED });
    const text = sink.attempts[1]?.response_body ?? '';
    expect(text.endsWith(TRUNCATED)).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(50_000);
    expect(text.startsWith('zzzz')).toBe(true);
  });

  it('records rate-limit classification and the delay the server asks for', async () => {
    const { sink, fetch } = recorder();
    server.script({ status: 429, json: { error: { message: 'slow down' } }, headers: { 'retry-after-ms': '250' } });
    server.script({ status: 503, json: { error: { message: 'busy' } }, headers: { 'retry-after': '2' } });
    server.script({ status: 400, json: { error: { message: 'bad' } } });
    for (const path of ['/a', '/b', '/c']) await (await fetch(`${server.url}${path}`)).text();
    expect(sink.attempts.map((a) => [a.response_status, a.retry_classification, a.retry_delay_ms])).toEqual([
      [429, 'rate_limited', 250],
      [503, 'server_error', 2000],
      [400, undefined, undefined],
    ]);
  });

  it('an abort while the body is read records one failed attempt', async () => {
    const { sink, fetch } = recorder();
    server.script({ sse: { events: [{ data: { n: 1 } }], hang: true } });
    const controller = new AbortController();
    const response = await fetch(`${server.url}/hang`, { signal: controller.signal });
    const reader = response.body?.getReader();
    await reader?.read();
    controller.abort();
    await expect(reader?.read()).rejects.toThrow();
    expect(sink.attempts).toHaveLength(1);
    expect(sink.attempts[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('aborted') });
    expect(sink.attempts[0]?.response_body).toBe('data: {"n":1}\n\n');
  });

  it('never throws into the caller when recording fails: logged and counted', async () => {
    const { sink, fetch, warnings } = recorder();
    sink.failNext = true;
    const data = (await (await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: '{}' })).json()) as { object: string };
    expect(data.object).toBe('chat.completion');
    expect(fetch.stats()).toEqual({ requests: 1, recorded: 0, recordingFailures: 1 });
    expect(warnings.some((w) => w.includes('recording an HTTP attempt failed'))).toBe(true);
  });

  it('numbers attempts per step, reserved before sending', async () => {
    const { sink, fetch } = recorder();
    const first = fetch(`${server.url}/one`);
    const second = fetch(`${server.url}/two`);
    await Promise.all([(await first).text(), (await second).text()]);
    expect(sink.attempts.map((a) => [a.number, a.path]).sort()).toEqual([
      [1, '/one'],
      [2, '/two'],
    ]);
  });
});
