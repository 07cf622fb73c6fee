import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCliBinary } from './support.js';

// Usage, help and bad input through the built binary. None of these needs a database: input is
// checked before anything is opened, so they are fast and run concurrently.

const CHAT = '0193f3c1-8e2a-7c4d-9b1e-2f6a5d4c3b21';
const UNREACHABLE = 'postgres://postgres:s3cret-pw@127.0.0.1:1/x';
const COMMANDS = ['demo', 'migrate', 'runs', 'show', 'tail', 'sweep', 'purge', 'export'];

beforeAll(() => assertBuilt());

describe.concurrent('help and version', () => {
  it('--help lists every command and the exit codes (exit 0)', async () => {
    const result = await runCliBinary(['--help']);
    expect(result.code).toBe(0);
    for (const command of COMMANDS) expect(result.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(result.stdout).toContain('Exit codes: 0 ok, 1 unexpected error, 2 bad usage or input, 3 not found, 4 database unreachable');
  });

  it.each(COMMANDS)('%s --help shows its usage, the common flags and examples (exit 0)', async (command) => {
    const result = await runCliBinary([command, '--help']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: chatdebug ${command} `));
    for (const flag of ['--json', '--verbose', '--no-color', '--database-url <url>', '--data-dir <dir>']) expect(result.stdout).toContain(flag);
    expect(result.stdout).toContain('Examples:');
  });

  it('--version prints the package version', async () => {
    const result = await runCliBinary(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe.concurrent('bad usage and bad input → exit 2, one clear line, no stack', () => {
  const cases: [string, string[], RegExp][] = [
    ['no command', [], /Usage: chatdebug/],
    ['an unknown command', ['list'], /error: unknown command 'list'/],
    ['an unknown option', ['runs', CHAT, '--limt', '3'], /error: unknown option '--limt'/],
    ['a missing argument', ['show'], /error: missing required argument 'runId'/],
    ['runs: a bad chat UUID', ['runs', 'not-a-uuid'], /^chatdebug: chatId: expected a UUID like .*, got "not-a-uuid"\n$/],
    ['show: a bad run UUID', ['show', '1234'], /^chatdebug: runId: expected a UUID like .*, got "1234"\n$/],
    ['export: a bad UUID', ['export', 'abc'], /^chatdebug: id: expected a UUID/],
    ['tail: a bad UUID', ['tail', 'zzz'], /^chatdebug: chatId: expected a UUID/],
    ['runs: a bad --limit', ['runs', CHAT, '--limit', 'ten'], /^chatdebug: --limit: expected a positive integer, got "ten"\n$/],
    ['sweep: a bad --stale-after', ['sweep', '--stale-after', '5 minutes'], /^chatdebug: --stale-after: expected a duration like 30s, 5m, 2h or 30d, got "5 minutes"\n$/],
    ['sweep: a bad --every', ['sweep', '--every', '10'], /^chatdebug: --every: expected a duration/],
    ['sweep: a zero --every', ['sweep', '--every', '0s'], /^chatdebug: --every: must be above zero\n$/],
    ['purge: --older-than missing', ['purge'], /error: required option '--older-than <duration>' not specified/],
    ['purge: a bad --older-than', ['purge', '--older-than', '30days'], /^chatdebug: --older-than: expected a duration/],
    ['purge: a bad --batch-size', ['purge', '--older-than', '30d', '--batch-size', '0'], /^chatdebug: --batch-size: expected a positive integer/],
    ['both --data-dir and --database-url', ['runs', CHAT, '--data-dir', 'x', '--database-url', UNREACHABLE], /^chatdebug: give either --data-dir or --database-url, not both\n$/],
    ['a bad --schema', ['runs', CHAT, '--database-url', UNREACHABLE, '--schema', 'Bad-Name'], /^chatdebug: --schema: expected a name matching/],
    ['no database anywhere', ['runs', CHAT], /^chatdebug: no database given: pass --database-url URL \(or set DATABASE_URL\) or --data-dir DIR/],
    ['demo: --in-memory with --data-dir', ['demo', '--in-memory', '--data-dir', 'x'], /^chatdebug: --in-memory cannot be combined with --data-dir or --database-url\n$/],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const result = await runCliBinary(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stdout).toBe('');
  });

  it('--json: the error is a JSON object on stderr', async () => {
    const result = await runCliBinary(['show', 'nope', '--json']);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stderr)).toEqual({ error: { code: 'usage', message: expect.stringContaining('runId: expected a UUID') as string, exit_code: 2 } });
  });

  const parserCases: [string, string[], string][] = [
    ['a missing argument', ['runs', '--json'], "missing required argument 'chatId'"],
    ['a missing required option', ['purge', '--json'], "required option '--older-than <duration>' not specified"],
    ['an unknown option, with the suggestion on the same line', ['runs', CHAT, '--limt', '3', '--json'], "unknown option '--limt' (Did you mean --limit?)"],
    ['an unknown command', ['list', '--json'], "unknown command 'list'"],
  ];
  it.each(parserCases)('--json, the parser\'s errors too: %s', async (_name, args, message) => {
    const result = await runCliBinary(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^[^\n]+\n$/);
    expect(JSON.parse(result.stderr)).toEqual({ error: { code: 'usage', message, exit_code: 2 } });
  });
});

describe.concurrent('an unreachable database → exit 4, without the password or a stack', () => {
  it.each(['runs', 'show', 'export', 'tail', 'sweep', 'migrate', 'demo'])('%s', async (command) => {
    const args = ['sweep', 'migrate', 'demo'].includes(command) ? [command] : [command, CHAT];
    const result = await runCliBinary([...args, '--database-url', UNREACHABLE]);
    expect(result.code).toBe(4);
    expect(result.stderr).toBe('chatdebug: cannot reach PostgreSQL at 127.0.0.1:1/x: connect ECONNREFUSED 127.0.0.1:1\n');
  });

  it('from DATABASE_URL, with --verbose: a stack, still no password', async () => {
    const result = await runCliBinary(['purge', '--older-than', '1d', '--verbose'], { env: { DATABASE_URL: UNREACHABLE } });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('chatdebug: cannot reach PostgreSQL at 127.0.0.1:1/x');
    expect(result.stderr).toMatch(/^\s+at /m);
    expect(result.stderr).not.toContain('s3cret-pw');
    expect(result.stderr).not.toContain(UNREACHABLE);
  });

  it('--json', async () => {
    const result = await runCliBinary(['runs', CHAT, '--json', `--database-url=${UNREACHABLE}`]);
    expect(result.code).toBe(4);
    expect(JSON.parse(result.stderr)).toMatchObject({ error: { code: 'unavailable', exit_code: 4 } });
    expect(result.stderr).not.toContain('s3cret-pw');
  });
});
