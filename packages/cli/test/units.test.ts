import { describe, expect, it } from 'vitest';
import type { RunWithSteps } from '@chatdebug/sdk';
import { ChatDebugError, InvalidArgumentError, NotFoundError } from '@chatdebug/sdk';
import { CliError, EXIT_CODES, formatDuration, parseDuration } from '../src/index.js';
import type { DatabaseTarget } from '../src/database/database-target.js';
import { describeTarget, resolveTarget, scrub, secretsOf } from '../src/database/database-target.js';
import { describeFailure } from '../src/database/failures.js';
import { lookCloserLines } from '../src/demo/look-closer.js';
import { formatDurationFlag } from '../src/duration.js';
import { errorText, outputText } from '../src/render/format.js';
import { colorsWanted, createStyle } from '../src/render/style.js';
import { shellCommand } from '../src/shell-command.js';
import { toCliError } from '../src/to-cli-error.js';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['30d', 2_592_000_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    [' 10S ', 10_000],
    ['0s', 0],
  ])('parses %s', (text, millis) => {
    expect(parseDuration(text)).toBe(millis);
  });

  it.each(['', '5', 'm', '5 m', '5min', '-5s', '5s ago', '1e3s', '99999999999999999d'])('rejects %j with a usage error naming the flag', (text) => {
    let thrown: unknown;
    try {
      parseDuration(text, '--every');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CliError);
    expect(thrown).toMatchObject({ code: 'usage', exitCode: EXIT_CODES.usage, message: `--every: expected a duration like 30s, 5m, 2h or 30d, got "${text}"` });
  });

  it('formats for people and for flags', () => {
    expect([850, 1_234, 12_340, 185_000, 7_500_000, 90_000_000].map(formatDuration)).toEqual(['850ms', '1.23s', '12.3s', '3m 05s', '2h 05m', '1d 1h']);
    expect([300_000, 30_000, 2_592_000_000, 1_500, 5_400_000].map(formatDurationFlag)).toEqual(['5m', '30s', '30d', '1500ms', '90m']);
  });
});

describe('database target', () => {
  const io = { cwd: '/work', env: {} as Record<string, string | undefined> };

  it('flags win over the environment; the schema comes from --schema, CHATDEBUG_SCHEMA, or public', () => {
    const env = { DATABASE_URL: 'postgres://env@db/app', CHATDEBUG_SCHEMA: 'from_env' };
    const fallback = { dataDir: '.chatdebug/demo', onlyIfExists: false };
    expect(resolveTarget({ dataDir: 'data' }, { ...io, env }, fallback)).toEqual({ kind: 'embedded', dataDir: '/work/data', schema: 'from_env' });
    expect(resolveTarget({ databaseUrl: 'postgres://flag@db/app', schema: 'mine' }, { ...io, env }, fallback)).toEqual({ kind: 'server', connectionString: 'postgres://flag@db/app', schema: 'mine' });
    expect(resolveTarget({}, { ...io, env }, fallback)).toMatchObject({ kind: 'server', connectionString: 'postgres://env@db/app' });
    expect(resolveTarget({}, io, fallback)).toEqual({ kind: 'embedded', dataDir: '/work/.chatdebug/demo', schema: 'public' });
    expect(() => resolveTarget({}, io, { dataDir: '.does-not-exist', onlyIfExists: true })).toThrow(/no database given/);
    expect(() => resolveTarget({ schema: 'Robert; DROP' }, io, fallback)).toThrow(CliError);
  });

  it('describes a target without credentials, and scrubs connection strings and passwords', () => {
    const url = 'postgres://app:p%40ss@db.internal:6543/chat?sslmode=require';
    expect(describeTarget({ kind: 'server', connectionString: url, schema: 'public' })).toBe('PostgreSQL at db.internal:6543/chat');
    expect(describeTarget({ kind: 'server', connectionString: 'host=/tmp dbname=x', schema: 'public' })).toBe('PostgreSQL at the configured server');
    expect(describeTarget({ kind: 'embedded', dataDir: undefined, schema: 'public' })).toBe('an in-memory embedded database');
    const secrets = secretsOf([url, undefined, '']);
    expect(scrub(`failed on ${url} with p@ss and p%40ss`, secrets)).toBe('failed on [REDACTED] with [REDACTED] and [REDACTED]');
  });
});

describe('error mapping', () => {
  it('maps errors to exit codes', () => {
    const cases: [unknown, number][] = [
      [new CliError('not_found', 'x'), 3],
      [new InvalidArgumentError('chatId', 'bad'), 2],
      [new NotFoundError('run', 'x'), 3],
      [new ChatDebugError('unavailable', 'lost', { cause: Object.assign(new Error('terminated'), { code: '57P01' }) }), 4],
      [new ChatDebugError('exporter_failed', 'query failed', { cause: Object.assign(new Error('relation "x" does not exist'), { code: '42P01' }) }), 5],
      [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 4],
      [new TypeError('boom'), 1],
    ];
    expect(cases.map(([error]) => toCliError(error).exitCode)).toEqual(cases.map(([, code]) => code));
    expect(toCliError(new TypeError('boom')).message).toBe('unexpected error: boom');
  });

  it('describes the innermost failure with its code', () => {
    const root = Object.assign(new Error('password authentication failed for user "app"'), { code: '28P01' });
    expect(describeFailure(new ChatDebugError('exporter_failed', 'outer', { cause: root }))).toBe('password authentication failed for user "app" (28P01)');
    const aggregate = Object.assign(new AggregateError([new Error('connect ECONNREFUSED ::1:1'), new Error('connect ECONNREFUSED 127.0.0.1:1')], ''), { code: 'ECONNREFUSED' });
    expect(describeFailure(aggregate)).toBe('connect ECONNREFUSED ::1:1; connect ECONNREFUSED 127.0.0.1:1');
  });
});

describe('rendering helpers', () => {
  it('colors only on a terminal, with NO_COLOR, TERM=dumb and --no-color turning them off and FORCE_COLOR on', () => {
    const tty = { isTTY: true, write: () => undefined };
    const pipe = { isTTY: false, write: () => undefined };
    expect(colorsWanted(tty, { env: {} }, true)).toBe(true);
    expect(colorsWanted(pipe, { env: {} }, true)).toBe(false);
    expect(colorsWanted(tty, { env: {} }, false)).toBe(false);
    expect(colorsWanted(tty, { env: { NO_COLOR: '1' } }, true)).toBe(false);
    expect(colorsWanted(tty, { env: { NO_COLOR: '' } }, true)).toBe(true);
    expect(colorsWanted(tty, { env: { TERM: 'dumb' } }, true)).toBe(false);
    expect(colorsWanted(pipe, { env: { FORCE_COLOR: '1' } }, true)).toBe(true);
  });

  it('error and output previews', () => {
    expect(errorText({ message: '500 The server had an error', type: 'InternalServerError', provider_status: 500, provider_title: 'server_error' })).toBe('server_error: 500 The server had an error');
    expect(errorText({ message: 'Request was aborted.', type: 'APIUserAbortError', context_error: 'canceled' })).toBe('APIUserAbortError: Request was aborted.');
    expect(errorText({})).toBeUndefined();
    expect(errorText(null)).toBeUndefined();
    expect(outputText({ content: [{ type: 'text', text: 'Checking.' }, { type: 'tool-call', tool_name: 'get_weather', arguments: '{}' }], finish_reason: 'tool-calls' })).toBe('Checking. → get_weather({})');
    expect(outputText({ content: [] })).toBeUndefined();
  });
});

describe("the demo's closing hints", () => {
  const CHAT = '01a22064-3344-70f8-ac10-6fadaa3d96d0';
  const RUN = '01a22064-3785-709c-b4d2-d495498ba3bc';
  // Only what lookCloserLines reads: the rate-limited run, with two attempts in a completed step.
  const runs = [{ run: { id: RUN }, steps: [{ status: 'completed', attempts: [{}, {}] }] }] as unknown as RunWithSteps[];
  const hints = (target: DatabaseTarget, options: { command?: string; urlFromFlag?: boolean } = {}) =>
    lookCloserLines({ chatId: CHAT, runs, target, urlFromFlag: options.urlFromFlag ?? false, cwd: '/work', command: options.command ?? 'chatdebug', style: createStyle(false) });

  it('name the CLI as a clone runs it (pnpm chatdebug, from the sources) or as an installed package does', () => {
    expect(shellCommand('file:///repo/packages/cli/src/shell-command.ts')).toBe('pnpm chatdebug');
    expect(shellCommand('file:///app/node_modules/@chatdebug/cli/dist/shell-command.js')).toBe('chatdebug');
    expect(shellCommand()).toBe('pnpm chatdebug'); // these tests load the sources, as `pnpm demo` does
    expect(hints({ kind: 'embedded', dataDir: '/work/.chatdebug/demo', schema: 'public' }, { command: 'pnpm chatdebug' })[2]).toBe(`  pnpm chatdebug runs ${CHAT}`);
  });

  it('embedded: the data directory unless it is the default, the schema unless public; no tail', () => {
    expect(hints({ kind: 'embedded', dataDir: '/work/.chatdebug/demo', schema: 'public' })).toEqual([
      '',
      'Look closer:',
      `  chatdebug runs ${CHAT}`,
      `  chatdebug show ${RUN}   # the rate-limited turn: two attempts in one step`,
      `  chatdebug export ${CHAT} --out chat.json`,
    ]);
    expect(hints({ kind: 'embedded', dataDir: "/tmp/it's mine", schema: 'demo' })[2]).toBe(`  chatdebug runs ${CHAT} --data-dir '/tmp/it'\\''s mine' --schema demo`);
    expect(hints({ kind: 'embedded', dataDir: undefined, schema: 'public' })).toEqual([]); // in memory: gone already
  });

  it('a server: says the commands need the same URL (never printing it), adds tail', () => {
    const url = 'postgres://app:s3cret@db.internal:6543/chat';
    const fromEnv = hints({ kind: 'server', connectionString: url, schema: 'public' });
    expect(fromEnv).toEqual([
      '',
      'Look closer (with the same DATABASE_URL exported: PostgreSQL at db.internal:6543/chat):',
      `  chatdebug runs ${CHAT}`,
      `  chatdebug show ${RUN}   # the rate-limited turn: two attempts in one step`,
      `  chatdebug export ${CHAT} --out chat.json`,
      `  chatdebug tail ${CHAT}   # follow it live, from another terminal`,
    ]);
    const fromFlag = hints({ kind: 'server', connectionString: url, schema: 'chatdebug' }, { urlFromFlag: true });
    expect(fromFlag[1]).toBe('Look closer (add the same --database-url: PostgreSQL at db.internal:6543/chat):');
    expect(fromFlag[5]).toBe(`  chatdebug tail ${CHAT} --schema chatdebug   # follow it live, from another terminal`);
    expect([...fromEnv, ...fromFlag].join('\n')).not.toContain('s3cret');
  });
});
