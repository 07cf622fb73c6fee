import { describe, expect, it } from 'vitest';
import {
  REDACTED,
  isSensitiveHeader,
  isSensitiveJsonKey,
  redactHeaders,
  redactJson,
  redactJsonValue,
  redactNdjson,
  redactUrl,
  sanitizeErrorMessage,
} from '@chatdebug/sdk';
import { urlPath } from '../../src/redaction/redact-url.js';

describe('header redaction (§7 item 55)', () => {
  const cases: { name: string; header: string; redacted: boolean }[] = [
    { name: 'authorization', header: 'Authorization', redacted: true },
    { name: 'authorization, upper case', header: 'AUTHORIZATION', redacted: true },
    { name: 'x-api-key', header: 'X-Api-Key', redacted: true },
    { name: 'api-key (azure)', header: 'api-key', redacted: true },
    { name: 'proxy-authorization', header: 'Proxy-Authorization', redacted: true },
    { name: 'cookie', header: 'Cookie', redacted: true },
    { name: 'set-cookie', header: 'Set-Cookie', redacted: true },
    { name: 'contains api-key', header: 'x-goog-api-key', redacted: true },
    { name: 'contains api_key', header: 'X_Custom_Api_Key', redacted: true },
    { name: 'contains apikey', header: 'X-ApiKey', redacted: true },
    { name: 'contains token', header: 'X-Auth-Token', redacted: true },
    { name: 'contains secret', header: 'X-Client-Secret', redacted: true },
    { name: 'contains bearer', header: 'X-Bearer', redacted: true },
    { name: 'x-amz-security-token', header: 'X-Amz-Security-Token', redacted: true },
    { name: 'openai rate limit tokens', header: 'x-ratelimit-limit-tokens', redacted: false },
    { name: 'openai remaining tokens', header: 'x-ratelimit-remaining-tokens', redacted: false },
    { name: 'openai reset tokens', header: 'X-RateLimit-Reset-Tokens', redacted: false },
    { name: 'anthropic input tokens limit', header: 'anthropic-ratelimit-input-tokens-limit', redacted: false },
    { name: 'anthropic output tokens remaining', header: 'anthropic-ratelimit-output-tokens-remaining', redacted: false },
    { name: 'anthropic tokens reset', header: 'anthropic-ratelimit-tokens-reset', redacted: false },
    { name: 'anthropic priority tokens', header: 'anthropic-priority-input-tokens-limit', redacted: false },
    { name: 'anthropic fast tokens', header: 'anthropic-fast-output-tokens-remaining', redacted: false },
    { name: 'a rate-limit lookalike with a secret', header: 'x-ratelimit-secret-tokens', redacted: true },
    { name: 'content-type', header: 'Content-Type', redacted: false },
    { name: 'x-request-id', header: 'x-request-id', redacted: false },
    { name: 'azure subscription key', header: 'Ocp-Apim-Subscription-Key', redacted: true },
    { name: 'contains password', header: 'X-Db-Password', redacted: true },
    { name: 'retry-after', header: 'retry-after', redacted: false },
    { name: 'openai-organization', header: 'OpenAI-Organization', redacted: false },
  ];

  it.each(cases)('$name → redacted: $redacted', ({ header, redacted }) => {
    const out = redactHeaders({ [header]: 'value-123' });
    expect(out).toEqual({ [header.toLowerCase()]: redacted ? REDACTED : 'value-123' });
    expect(isSensitiveHeader(header)).toBe(redacted);
  });

  it('flattens multi-values with ", " and merges names that differ in case', () => {
    expect(redactHeaders({ Accept: ['a/b', 'c/d'], 'x-one': 'x', 'X-ONE': 'y' })).toEqual({ accept: 'a/b, c/d', 'x-one': 'x, y' });
    const headers = new Headers([
      ['x-multi', '1'],
      ['x-multi', '2'],
    ]);
    expect(redactHeaders(headers)).toEqual({ 'x-multi': '1, 2' });
    expect(redactHeaders([['X-Pair', 'v']])).toEqual({ 'x-pair': 'v' });
  });

  it('never mutates its input', () => {
    const input = { Authorization: 'Bearer sk-secret', Accept: 'application/json' };
    const copy = structuredClone(input);
    const headers = new Headers(input);
    redactHeaders(input);
    redactHeaders(headers);
    expect(input).toEqual(copy);
    expect(headers.get('authorization')).toBe('Bearer sk-secret');
  });

  it('undefined → undefined, empty → {}, null-ish values skipped', () => {
    expect(redactHeaders(undefined)).toBeUndefined();
    expect(redactHeaders({})).toEqual({});
    expect(redactHeaders(new Headers())).toEqual({});
    expect(redactHeaders({ a: undefined, b: null, c: 1 })).toEqual({ c: '1' });
  });
});

describe('JSON key redaction (§7 item 56)', () => {
  const keyCases: { key: string; redacted: boolean }[] = [
    ...['token', 'access_token', 'refresh_token', 'id_token', 'api_token', 'auth_token', 'bearer_token', 'session_token', 'security_token'].map((key) => ({ key, redacted: true })),
    ...['api_key', 'apikey', 'api-key', 'x-api-key', 'private_key', 'signing_key', 'secret_key'].map((key) => ({ key, redacted: true })),
    ...['accessToken', 'refreshToken', 'idToken', 'apiKey', 'xApiKey', 'privateKey', 'signingKey', 'secretKey', 'sessionToken', 'API_KEY', 'Token'].map((key) => ({ key, redacted: true })),
    ...['client_secret', 'clientSecret', 'password', 'db_password', 'Authorization', 'proxy_authorization', 'credentials', 'aws_credential_id'].map((key) => ({ key, redacted: true })),
    ...['OPENAI_API_KEY', 'x-goog-api-key', 'db_passwd', 'privateKeyPem', 'githubAccessToken', 'Ocp-Apim-Subscription-Key'].map((key) => ({ key, redacted: true })),
    ...['input_tokens', 'output_tokens', 'max_tokens', 'max_completion_tokens', 'max_output_tokens', 'total_tokens', 'cached_tokens', 'reasoning_tokens', 'prompt_tokens', 'completion_tokens', 'tokens', 'token_count', 'model', 'key', 'keys'].map((key) => ({ key, redacted: false })),
  ];

  it.each(keyCases)('$key → redacted: $redacted', ({ key, redacted }) => {
    expect(isSensitiveJsonKey(key)).toBe(redacted);
    const text = JSON.stringify({ [key]: 'v4lue' });
    expect(JSON.parse(redactJson(text))).toEqual({ [key]: redacted ? REDACTED : 'v4lue' });
  });

  const documents: { name: string; input: unknown; expected: unknown }[] = [
    { name: 'top level', input: { api_key: 'sk-1', model: 'gpt' }, expected: { api_key: REDACTED, model: 'gpt' } },
    { name: 'nested', input: { auth: { accessToken: 'a', scope: 'x' } }, expected: { auth: { accessToken: REDACTED, scope: 'x' } } },
    { name: 'arrays', input: { items: [{ password: 'p' }, { name: 'n' }, 'plain'] }, expected: { items: [{ password: REDACTED }, { name: 'n' }, 'plain'] } },
    { name: 'object values are replaced whole', input: { credentials: { user: 'u', pass: 'p' } }, expected: { credentials: REDACTED } },
    {
      name: 'usage counters preserved',
      input: { usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 }, max_tokens: 100 },
      expected: { usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 }, max_tokens: 100 },
    },
    { name: 'null and empty values kept', input: { token: null, secret: '' }, expected: { token: null, secret: '' } },
    { name: 'top-level array', input: [{ token: 't' }], expected: [{ token: REDACTED }] },
    { name: 'a scalar under auth or bearer', input: { AUTH: 'u:p', Bearer: 'b', auth2: 'x' }, expected: { AUTH: REDACTED, Bearer: REDACTED, auth2: 'x' } },
  ];

  it.each(documents)('redacts $name', ({ input, expected }) => {
    expect(JSON.parse(redactJson(JSON.stringify(input)))).toEqual(expected);
    expect(redactJsonValue(input)).toEqual(expected);
  });

  it('returns unchanged text byte for byte, and unchanged values by identity', () => {
    const text = '{ "model" : "gpt",\n  "n": 1.50, "big": 12345678901234567890 }';
    expect(redactJson(text)).toBe(text);
    const value = { a: [1, { b: 2 }] };
    expect(redactJsonValue(value)).toBe(value);
  });

  it('does not mutate a value it redacts', () => {
    const value = { nested: { token: 't', keep: 1 } };
    const out = redactJsonValue(value);
    expect(value.nested.token).toBe('t');
    expect(out).toEqual({ nested: { token: REDACTED, keep: 1 } });
  });

  const invalid: { name: string; text: string; reason: string }[] = [
    { name: 'not JSON', text: 'api_key=sk-secret-value', reason: 'invalid_json' },
    { name: 'truncated', text: '{"api_key":"sk-secret-value","a":[1,2', reason: 'incomplete_json' },
    { name: 'concatenated documents', text: '{"a":1}{"api_key":"sk-secret-value"}', reason: 'trailing_data' },
    { name: 'trailing garbage', text: '{"a":1} sk-secret-value', reason: 'trailing_data' },
  ];

  it.each(invalid)('fails closed on $name: a diagnostic without the input', ({ text, reason }) => {
    const out = redactJson(text);
    expect(out).not.toContain('sk-secret-value');
    expect(JSON.parse(out)).toMatchObject({ reason, bytes: Buffer.byteLength(text) });
  });

  it('keeps blank text as is', () => {
    expect(redactJson('')).toBe('');
    expect(redactJson('  \n')).toBe('  \n');
  });
});

describe('NDJSON redaction (§7 item 56)', () => {
  it('redacts line by line, failing closed only on the bad line', () => {
    const text = '{"token":"t1","n":1}\nnot json sk-secret\n{"n":3}\n';
    const lines = redactNdjson(text).split('\n');
    expect(JSON.parse(lines[0] as string)).toEqual({ token: REDACTED, n: 1 });
    expect(lines[1]).not.toContain('sk-secret');
    expect(JSON.parse(lines[1] as string)).toMatchObject({ reason: 'invalid_json' });
    expect(lines[2]).toBe('{"n":3}');
    expect(lines[3]).toBe('');
  });

  it('returns unchanged NDJSON identical, CRLF included', () => {
    const text = '{"a":1}\r\n{"b":2}\r\n';
    expect(redactNdjson(text)).toBe(text);
    expect(redactNdjson('{"secret":"s"}\r\n')).toBe(`{"secret":"${REDACTED}"}\r\n`);
  });
});

describe('URL redaction (§7 item 53)', () => {
  const cases: { name: string; url: string; expected: string }[] = [
    { name: 'userinfo stripped', url: 'https://user:pa55@api.example.com/v1/x', expected: 'https://api.example.com/v1/x' },
    { name: 'user only', url: 'https://user@api.example.com/', expected: 'https://api.example.com/' },
    { name: 'userinfo, one slash (URL parsers accept it)', url: 'http:/u:pw@h.example/x', expected: 'http:/h.example/x' },
    { name: 'userinfo, no slash', url: 'https:u:pw@h.example/x', expected: 'https:h.example/x' },
    { name: 'userinfo, backslashes', url: 'http:\\\\u:pw@h.example/x', expected: 'http:\\\\h.example/x' },
    { name: 'an @ in the path is not userinfo', url: 'https://h.example/users/@me', expected: 'https://h.example/users/@me' },
    { name: 'key', url: 'https://g.example.com/v1/models?key=AIza123&alt=sse', expected: `https://g.example.com/v1/models?key=${REDACTED}&alt=sse` },
    { name: 'api_key, case-insensitive', url: 'http://h/p?API_KEY=abc&Api-Key=def', expected: `http://h/p?API_KEY=${REDACTED}&Api-Key=${REDACTED}` },
    { name: 'access_token and sig', url: 'http://h/p?access_token=t&sig=s&signature=z', expected: `http://h/p?access_token=${REDACTED}&sig=${REDACTED}&signature=${REDACTED}` },
    { name: 'aws presigned', url: 'https://b.s3.amazonaws.com/o?X-Amz-Credential=c&X-Amz-Signature=s&X-Amz-Security-Token=t&X-Amz-Date=d', expected: `https://b.s3.amazonaws.com/o?X-Amz-Credential=${REDACTED}&X-Amz-Signature=${REDACTED}&X-Amz-Security-Token=${REDACTED}&X-Amz-Date=d` },
    { name: 'password and secret', url: 'http://h/?password=p&client_secret=s&q=ok', expected: `http://h/?password=${REDACTED}&client_secret=${REDACTED}&q=ok` },
    { name: 'fragment parameters', url: 'https://app/cb#access_token=t&state=s', expected: `https://app/cb#access_token=${REDACTED}&state=s` },
    { name: 'encoded names', url: 'http://h/?api%5Fkey=v', expected: `http://h/?api%5Fkey=${REDACTED}` },
    { name: 'relative URL', url: '/v1/x?token=t', expected: `/v1/x?token=${REDACTED}` },
    { name: 'nothing to redact is identical', url: 'https://api.openai.com/v1/chat/completions?a=1&b=%20', expected: 'https://api.openai.com/v1/chat/completions?a=1&b=%20' },
    { name: 'empty value kept', url: 'http://h/?key=&x=1', expected: 'http://h/?key=&x=1' },
  ];

  it.each(cases)('$name', ({ url, expected }) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('sanitizes URLs and credentials inside error messages', () => {
    const message = 'request to https://u:p@h.example/v1?api_key=sk-123 failed; header Bearer sk-abcdef; body api_key=sk-xyz password: hunter2 code: ECONNREFUSED';
    const out = sanitizeErrorMessage(message);
    for (const secret of ['sk-123', 'sk-abcdef', 'sk-xyz', 'hunter2', 'u:p@']) expect(out).not.toContain(secret);
    expect(out).toContain('https://h.example/v1?api_key=[REDACTED]');
    expect(out).toContain('code: ECONNREFUSED');
  });

  it('the path of a URL never carries its userinfo, whatever its form', () => {
    expect(urlPath('http:/u:pw@h.example/x?y=1')).toBe('/x');
    expect(urlPath('https://u:pw@h.example/v1/chat')).toBe('/v1/chat');
    expect(urlPath('/relative/p?q')).toBe('/relative/p');
    expect(urlPath(new URL('https://h.example'))).toBe('/');
  });

  it('redacts quoted pairs: a JSON error body quoted in a message, quoted values with spaces', () => {
    const out = sanitizeErrorMessage(`401 {"type":"auth","api_key":"SECRET-1","nested":{"client_secret":"SECRET 2"}} password: 'SECRET 3' token="SECRET-4" "credentials":{"user":"u"}`);
    for (const secret of ['SECRET-1', 'SECRET 2', 'SECRET 3', 'SECRET-4']) expect(out).not.toContain(secret);
    expect(out).toBe(`401 {"type":"auth","api_key":"${REDACTED}","nested":{"client_secret":"${REDACTED}"}} password: '${REDACTED}' token="${REDACTED}" "credentials":{"user":"u"}`);
    expect(sanitizeErrorMessage('"api_key":null and token="" stay')).toBe('"api_key":null and token="" stay');
  });

  it('masks well-known API key shapes in error messages', () => {
    const keys = ['sk-proj-abcdefghijklmnop1234', 'sk-ant-api03-abcdefghijklmnopqrstuv', `AIza${'x'.repeat(35)}`, `ghp_${'a'.repeat(36)}`];
    const out = sanitizeErrorMessage(`401 Incorrect API key provided: ${keys.join(', ')}. sk-short stays.`);
    for (const key of keys) expect(out).not.toContain(key);
    expect(out).toBe(`401 Incorrect API key provided: ${keys.map(() => REDACTED).join(', ')}. sk-short stays.`);
  });
});
