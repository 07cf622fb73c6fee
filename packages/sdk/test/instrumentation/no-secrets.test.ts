import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { createRecordingFetch, instrumentOpenAI, traceModelCall } from '@chatdebug/sdk';
import { FakeLlmServer, chatCompletion } from './support/fake-llm-server.js';
import { CHAT, setupTracing } from './support/harness.js';

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
const SECRETS = [HEADER_KEY, QUERY_KEY, BODY_KEY, RESPONSE_SECRET, OTHER_HEADER_KEY, USERINFO_PASSWORD];

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
