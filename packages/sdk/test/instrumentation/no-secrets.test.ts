import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { createRecordingFetch, instrumentOpenAI, traceModelCall } from '@chatdebug/sdk';
import { FakeLlmServer, chatCompletion } from './support/fake-llm-server.js';
import { CHAT, attemptsOf, registerSecrets, setupTracing } from './support/harness.js';

let server: FakeLlmServer;
beforeAll(async () => {
  server = await FakeLlmServer.start();
});
afterAll(async () => {
  await server.close();
});

// Distinct secrets per channel, so a leak names its path.
const HEADER_KEY = 'sk-header-secret-7f3a9c1e5b2d4f60';
const QUERY_KEY = 'query-secret-8e2b7d4c1a9f3e50';
const BODY_KEY = 'body-secret-6c1d9e3f7a2b5c40';
const RESPONSE_SECRET = 'response-secret-5a4f8b2c6d1e9f30';
const OTHER_HEADER_KEY = 'x-api-key-secret-4d7e1f9a3c6b2e80';
const USERINFO_PASSWORD = 'userinfo-secret-3b9c5e7a1d4f6a20';
const STREAM_ERROR_SECRET = 'stream-error-secret-2e6f1a9d4c7b3e10';
const QUOTED_SECRET = 'quoted-json-secret-9d3a6f2c8e1b4a70';
const REQUEST_OBJECT_SECRET = 'request-object-secret-1f8e4b7a2d5c9e60';
const SECRETS = [HEADER_KEY, QUERY_KEY, BODY_KEY, RESPONSE_SECRET, OTHER_HEADER_KEY, USERINFO_PASSWORD, STREAM_ERROR_SECRET, QUOTED_SECRET, REQUEST_OBJECT_SECRET];
// Every test of this file (and of the harness) is also checked after it ends.
registerSecrets(...SECRETS);

describe('no secret reaches the exporter', () => {
  it('API keys in headers, query parameters, JSON bodies, responses and errors are all withheld', async () => {
    const { tracer, exporter, logs } = setupTracing();
    const openai = instrumentOpenAI(
      new OpenAI({ apiKey: HEADER_KEY, baseURL: server.baseURL, defaultQuery: { api_key: QUERY_KEY }, maxRetries: 1 }),
      { tracer },
    );
    const extraBody = { api_key: BODY_KEY, metadata: { client_secret: BODY_KEY } } as object;
    server.script(
      // A rate limit (retried), then an answer that echoes secrets back.
      { status: 429, json: { error: { message: 'slow down' } }, headers: { 'retry-after-ms': '1', 'set-cookie': `session=${RESPONSE_SECRET}` } },
      { json: { ...chatCompletion({ text: 'ok' }), client_secret: RESPONSE_SECRET, access_token: RESPONSE_SECRET }, headers: { 'x-auth-token': RESPONSE_SECRET } },
      // A 401 that quotes the key (real providers mask it; a fake one may not).
      { status: 401, json: { error: { message: `Incorrect API key provided: ${HEADER_KEY}`, type: 'invalid_request_error' } } },
    );
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => {
      await openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], ...extraBody });
      await openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'again' }] }).catch(() => undefined);
      const stream = await openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'stream' }], stream: true, ...extraBody });
      for await (const chunk of stream) void chunk;
      await openai.responses.create({ model: 'gpt-test', input: 'hello', ...extraBody });
      // A fetch-based SDK call with x-api-key, a key in the URL query and userinfo.
      const recordingFetch = createRecordingFetch({
        fetch: (_input, init) => globalThis.fetch(`${server.url}/v1/messages?key=${QUERY_KEY}`, init),
      });
      server.script({ json: { type: 'message', content: [{ type: 'text', text: 'ok' }], session_token: RESPONSE_SECRET } });
      await traceModelCall({ tracer }, { api_key: BODY_KEY, prompt: 'x' }, async (request) => {
        const response = await recordingFetch(`http://user:${USERINFO_PASSWORD}@127.0.0.1:1/v1/messages?key=${QUERY_KEY}`, {
          method: 'POST',
          headers: { 'x-api-key': OTHER_HEADER_KEY, 'content-type': 'application/json' },
          body: JSON.stringify(request),
        });
        return response.json();
      });
    });
    await tracer.forceFlush();
    // The secrets really travelled (so the test would catch a leak).
    expect(server.requests.some((r) => r.headers.authorization === `Bearer ${HEADER_KEY}`)).toBe(true);
    expect(server.requests.some((r) => r.url.includes(QUERY_KEY))).toBe(true);
    expect(server.requests.some((r) => r.body.includes(BODY_KEY))).toBe(true);

    const runs = exporter.runs();
    const steps = exporter.steps();
    expect(runs).toHaveLength(1);
    expect(steps).toHaveLength(5);
    expect(steps.flatMap((s) => s.attempts)).toHaveLength(6);
    const stored = JSON.stringify({ runs, steps });
    for (const secret of SECRETS) expect(stored, `leaked ${secret}`).not.toContain(secret);
    const logged = JSON.stringify(logs);
    for (const secret of SECRETS) expect(logged, `logged ${secret}`).not.toContain(secret);
    expect(stored).toContain('[REDACTED]');
  });
});

describe('no secret reaches the exporter: the paths that quote errors', () => {
  it('an error thrown mid-stream is sanitized in the step error and in stream_summary.last_error', async () => {
    const { tracer, read } = setupTracing();
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => {
      const stream = await tracer.traceStream({}, async () =>
        (async function* () {
          yield { type: 'text-delta', text: 'a' };
          throw new Error(`upstream said api_key=${STREAM_ERROR_SECRET} and {"access_token":"${STREAM_ERROR_SECRET}"}`);
        })(),
      );
      await expect(async () => {
        for await (const part of stream) void part;
      }).rejects.toThrow();
    });
    const { steps } = await read();
    expect(steps[0]?.status).toBe('error');
    expect(JSON.stringify(steps[0]?.error)).toContain('api_key=[REDACTED]');
    expect(JSON.stringify(steps[0]?.metadata)).toContain('[REDACTED]');
  });

  it('step.end({ error }) with an Error or a payload object quoting a key stores it redacted', async () => {
    const { tracer, read } = setupTracing();
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    run.startStep({}).end({ error: new Error(`401 {"type":"auth","api_key":"${QUOTED_SECRET}"}`) });
    run.startStep({}).end({ error: { message: `token: "${QUOTED_SECRET}"`, type: 'x', client_secret: QUOTED_SECRET } });
    run.end();
    const { steps } = await read();
    expect(steps.map((step) => step.error)).toEqual([
      { message: '401 {"type":"auth","api_key":"[REDACTED]"}', type: 'Error' },
      { message: 'token: "[REDACTED]"', type: 'x', client_secret: '[REDACTED]' },
    ]);
  });

  it('an openai error whose body has no message (the client quotes the JSON) is redacted in message and body', async () => {
    const { tracer, read } = setupTracing();
    const openai = instrumentOpenAI(new OpenAI({ apiKey: HEADER_KEY, baseURL: server.baseURL, maxRetries: 0 }), { tracer });
    server.script({ status: 401, json: { error: { type: 'auth', api_key: QUOTED_SECRET } } });
    await tracer
      .run({ chatId: CHAT, kind: 'chat_turn' }, () => openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }))
      .catch(() => undefined);
    const { steps } = await read();
    expect(steps[0]?.status).toBe('error');
    expect((steps[0]?.error as { message: string }).message).toContain('"api_key":"[REDACTED]"');
  });

  it('userinfo in the lenient URL forms, and the body of a Request object, are withheld', async () => {
    const { tracer, read } = setupTracing();
    // A lenient inner fetch that accepts what the platform fetch would refuse, as some SDK shims do.
    const recordingFetch = createRecordingFetch({
      fetch: (input, init) => globalThis.fetch(input instanceof Request ? input : `${server.url}/v1/x`, init),
    });
    server.script({ json: { ok: 1 } }, { json: { ok: 2 } });
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, () =>
      traceModelCall({ tracer }, { prompt: 'x' }, async () => {
        await (await recordingFetch(`http:/user:${USERINFO_PASSWORD}@127.0.0.1:1/v1/x`)).text();
        const request = new Request(`${server.url}/v1/y`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ prompt: 'p', api_key: REQUEST_OBJECT_SECRET }),
        });
        await (await recordingFetch(request)).text();
        return { ok: true };
      }),
    );
    const { steps } = await read();
    const attempts = attemptsOf(steps[0]);
    expect(attempts.map((a) => [a.url, a.path])).toEqual([
      ['http:/127.0.0.1:1/v1/x', '/v1/x'],
      [`${server.url}/v1/y`, '/v1/y'],
    ]);
    expect(JSON.parse(attempts[1]?.request_body ?? '')).toEqual({ prompt: 'p', api_key: '[REDACTED]' });
    expect(server.requests.at(-1)?.body).toContain(REQUEST_OBJECT_SECRET);
  });
});
