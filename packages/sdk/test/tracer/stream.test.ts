import { describe, expect, it, vi } from 'vitest';
import { CHAT, setup } from '../support/tracing.js';

type Part =
  | { type: 'text-delta'; text: string }
  | { type: 'tool-input-delta'; id: string; toolName?: string; delta: string }
  | { type: 'finish'; finishReason: string; usage?: { inputTokens: number; outputTokens: number } }
  | { type: 'error'; error: unknown };

async function* parts(list: Part[], options: { throwAtEnd?: unknown } = {}): AsyncGenerator<Part> {
  for (const part of list) yield part;
  if (options.throwAtEnd !== undefined) throw options.throwAtEnd;
}

const finish: Part = { type: 'finish', finishReason: 'stop', usage: { inputTokens: 7, outputTokens: 3 } };

async function consume<T>(stream: AsyncIterable<T>, stopAfter = Infinity): Promise<T[]> {
  const seen: T[] = [];
  for await (const part of stream) {
    seen.push(part);
    if (seen.length >= stopAfter) break;
  }
  return seen;
}

describe('traceStream (§6.3, §7 items 45, 47, 48)', () => {
  it('forwards every part and records merged text, usage, finish reason and stream_summary', async () => {
    const { tracer, memory, flush } = setup();
    const source: Part[] = [
      { type: 'text-delta', text: 'Hel' },
      { type: 'text-delta', text: 'lo' },
      { type: 'tool-input-delta', id: 'call_1', toolName: 'search', delta: '{"q":' },
      { type: 'tool-input-delta', id: 'call_1', delta: '"x"}' },
      finish,
    ];
    const seen = await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => consume(await tracer.traceStream({ request: { stream: true } }, () => parts(source))));
    await flush();
    expect(seen).toEqual(source);
    expect(memory.steps()[0]).toMatchObject({
      operation: 'stream',
      status: 'completed',
      error: null,
      usage: { input_tokens: 7, output_tokens: 3 },
      normalizedResponse: {
        content: [
          { type: 'text', text: 'Hello' },
          { type: 'tool-call', tool_call_id: 'call_1', tool_name: 'search', arguments: '{"q":"x"}', input_length: 9 },
        ],
        finish_reason: 'stop',
      },
      metadata: { stream_summary: { finish_reason: 'stop', text_delta_count: 2, tool_call_count: 1, part_count: 5, error_count: 0 } },
    });
  });

  it('an error part then finish → error with response, usage, error and metadata (item 45)', async () => {
    const { tracer, memory, flush } = setup();
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () =>
      consume(await tracer.traceStream({}, () => parts([{ type: 'text-delta', text: 'partial' }, { type: 'error', error: new Error('overloaded') }, finish]))),
    );
    await flush();
    expect(memory.steps()[0]).toMatchObject({
      status: 'error',
      usage: { input_tokens: 7 },
      error: { message: 'overloaded' },
      normalizedResponse: { content: [{ type: 'text', text: 'partial' }] },
      metadata: { stream_summary: { error_count: 1, last_error: 'overloaded' } },
    });
  });

  it('the consumer stopping early → interrupted with partial content and an empty finish reason (item 47)', async () => {
    const { tracer, memory, flush } = setup();
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () =>
      consume(await tracer.traceStream({}, () => parts([{ type: 'text-delta', text: 'par' }, { type: 'text-delta', text: 'tial' }, finish])), 1),
    );
    await flush();
    expect(memory.steps()[0]).toMatchObject({
      status: 'interrupted',
      normalizedResponse: { content: [{ type: 'text', text: 'par' }], finish_reason: '' },
      metadata: { stream_summary: { text_delta_count: 1, finish_reason: '' } },
    });
  });

  it('the consumer stopping after the finish part → completed (item 48)', async () => {
    const { tracer, memory, flush } = setup();
    const source = async function* (): AsyncGenerator<Part> {
      yield { type: 'text-delta', text: 'x' };
      yield finish;
      yield { type: 'text-delta', text: 'never read' };
    };
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => consume(await tracer.traceStream({}, () => source()), 2));
    await flush();
    expect(memory.steps()[0]?.status).toBe('completed');
  });

  it('the provider closing without a finish part → interrupted', async () => {
    const { tracer, memory, flush } = setup();
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => consume(await tracer.traceStream({}, () => parts([{ type: 'text-delta', text: 'x' }]))));
    await flush();
    expect(memory.steps()[0]?.status).toBe('interrupted');
  });

  it('a source that throws → error; one that is cancelled → interrupted; the error reaches the consumer', async () => {
    const { tracer, memory, flush } = setup();
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => {
      await expect(consume(await tracer.traceStream({}, () => parts([{ type: 'text-delta', text: 'x' }], { throwAtEnd: new Error('socket hang up') })))).rejects.toThrow('socket hang up');
      await expect(
        consume(await tracer.traceStream({}, () => parts([], { throwAtEnd: new DOMException('aborted', 'AbortError') }))),
      ).rejects.toThrow('aborted');
    });
    await flush();
    expect(memory.steps().map((s) => s.status)).toEqual(['error', 'interrupted']);
    expect(memory.steps()[0]?.error).toMatchObject({ message: 'socket hang up' });
  });

  it('the abort signal before the finish part → interrupted with no payload; a completed stream is never downgraded', async () => {
    const { tracer, memory, flush } = setup();
    const early = new AbortController();
    const late = new AbortController();
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => {
      const dropped = await tracer.traceStream({ signal: early.signal }, () => parts([{ type: 'text-delta', text: 'x' }, finish]));
      early.abort();
      expect(dropped).toBeDefined();
      const done = await tracer.traceStream({ signal: late.signal }, () => parts([{ type: 'text-delta', text: 'y' }, finish]));
      await consume(done);
      late.abort();
    });
    await flush();
    const [dropped, done] = memory.steps();
    expect(dropped).toMatchObject({ status: 'interrupted', normalizedResponse: null, usage: null });
    expect(done?.status).toBe('completed');
  });

  it('an opening error is recorded like a call error; a missing stream is a NilModelResult', async () => {
    const { tracer, memory, flush } = setup();
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => {
      await expect(tracer.traceStream({}, async () => Promise.reject(new Error('401 Unauthorized')))).rejects.toThrow('401');
      // What the opener gave comes back as is, as it would untraced.
      expect(await tracer.traceStream({}, async () => null as unknown as AsyncIterable<Part>)).toBeNull();
    });
    await flush();
    expect(memory.steps().map((s) => [s.status, (s.error as { type?: string } | null)?.type])).toEqual([
      ['error', 'Error'],
      ['error', 'NilModelResult'],
    ]);
  });

  it('a cancellation thrown after the finish part keeps the stream completed', async () => {
    const { tracer, memory, flush } = setup();
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => {
      const stream = await tracer.traceStream({}, async () => parts([{ type: 'text-delta', text: 'all' }, finish], { throwAtEnd: new DOMException('stop', 'AbortError') }));
      await expect(async () => {
        for await (const part of stream) void part;
      }).rejects.toThrow('stop');
    });
    await flush();
    expect(memory.steps()[0]).toMatchObject({ status: 'completed', error: null, normalizedResponse: { content: [{ type: 'text', text: 'all' }] } });
  });

  it('the heartbeat starts lazily on the first pull and stops at finalization', async () => {
    const { tracer, flush } = setup();
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn', heartbeat: false });
    const stream = await tracer.traceStream({ run }, () => parts([{ type: 'text-delta', text: 'x' }, finish]));
    expect(tracer.stats().heartbeating).toBe(0);
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    expect(tracer.stats().heartbeating).toBe(1);
    await iterator.next();
    await iterator.next();
    expect(tracer.stats().heartbeating).toBe(0);
    run.end();
    await flush();
  });

  it('outside a run the stream passes through untouched', async () => {
    const { tracer, memory, flush } = setup();
    const source = parts([{ type: 'text-delta', text: 'x' }]);
    const stream = await tracer.traceStream({}, () => source);
    expect(stream).toBe(source);
    await consume(stream);
    await flush();
    expect(memory.steps()).toHaveLength(0);
  });

  it('streamed text is bounded by maxBodyBytes on a code point boundary', async () => {
    const { tracer, memory, flush } = setup({ tracer: { bounds: { maxBodyBytes: 10 } } });
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () =>
      consume(await tracer.traceStream({}, () => parts([{ type: 'text-delta', text: 'abcdefgh' }, { type: 'text-delta', text: 'é🎉zz' }, finish]))),
    );
    await flush();
    expect(memory.steps()[0]?.normalizedResponse).toMatchObject({ content: [{ type: 'text', text: 'abcdefghé' }], text_truncated: true });
  });
});

describe('traceStream: error parts and finalization (§6.3, §7 items 44, 46, 48)', () => {
  const aborted = () => new DOMException('The operation was aborted', 'AbortError');

  it('a cancellation after an error part never downgrades the error to interrupted (item 44)', async () => {
    const { tracer, memory, flush } = setup();
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => {
      const stream = await tracer.traceStream({}, () => parts([{ type: 'text-delta', text: 'x' }, { type: 'error', error: new Error('overloaded') }], { throwAtEnd: aborted() }));
      await expect(consume(stream)).rejects.toThrow('aborted');
    });
    await flush();
    expect(memory.steps()[0]).toMatchObject({ status: 'error', metadata: { stream_summary: { error_count: 2 } } });
    expect(memory.steps()[0]?.error).not.toBeNull();
    expect(memory.runs()[0]?.summary).toMatchObject({ has_error: true });
  });

  it('an error part carrying a cancellation → interrupted, and does not flag the run', async () => {
    const { tracer, memory, flush } = setup();
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () =>
      consume(await tracer.traceStream({}, () => parts([{ type: 'text-delta', text: 'x' }, { type: 'error', error: aborted() }]))),
    );
    await flush();
    expect(memory.steps()[0]).toMatchObject({ status: 'interrupted', metadata: { stream_summary: { error_count: 1 } } });
    expect(memory.runs()[0]?.summary).not.toHaveProperty('has_error');
  });

  it('an error part without an error counts as an error, even when the finish part follows', async () => {
    const { tracer, memory, flush } = setup();
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () => consume(await tracer.traceStream({}, () => parts([{ type: 'error', error: undefined }, finish]))));
    await flush();
    expect(memory.steps()[0]).toMatchObject({ status: 'error', usage: { input_tokens: 7 }, error: { message: 'stream error part' } });
  });

  it('the consumer stopping early after an error part → error, not interrupted', async () => {
    const { tracer, memory, flush } = setup();
    await tracer.run({ chatId: CHAT, kind: 'chat_turn' }, async () =>
      consume(await tracer.traceStream({}, () => parts([{ type: 'text-delta', text: 'x' }, { type: 'error', error: new Error('bad chunk') }, { type: 'text-delta', text: 'y' }, finish])), 2),
    );
    await flush();
    expect(memory.steps()[0]).toMatchObject({ status: 'error', error: { message: 'bad chunk' }, normalizedResponse: { content: [{ type: 'text', text: 'x' }], finish_reason: '' } });
  });

  it('finalizes exactly once: a second return(), a late abort and another pull end nothing again (item 48)', async () => {
    const { tracer, memory, flush } = setup();
    const controller = new AbortController();
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    const step = run.startStep({ operation: 'stream', heartbeat: false });
    const end = vi.spyOn(step, 'end');
    const stream = tracer.recordStream(step, parts([{ type: 'text-delta', text: 'x' }, finish]), { signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    while (!(await iterator.next()).done);
    await iterator.return?.();
    controller.abort();
    await iterator.next();
    expect(end).toHaveBeenCalledTimes(1);
    expect(end.mock.calls[0]?.[0]).toMatchObject({ status: 'completed' });
    run.end();
    await flush();
    expect(memory.steps()[0]?.status).toBe('completed');
  });

  it('a structured (object) stream keeps its metadata next to stream_summary on success and on error (item 46)', async () => {
    const { tracer, memory, flush } = setup();
    await tracer.run({ chatId: CHAT, kind: 'quickgen' }, async () => {
      await consume(await tracer.traceStream({ metadata: { structured_output: true } }, () => parts([{ type: 'text-delta', text: '{"title":' }, { type: 'text-delta', text: '"Hi"}' }, finish])));
      await consume(await tracer.traceStream({ metadata: { structured_output: true } }, () => parts([{ type: 'error', error: new Error('schema mismatch') }])));
    });
    await flush();
    const [ok, failed] = memory.steps();
    expect(ok).toMatchObject({
      operation: 'stream',
      status: 'completed',
      error: null,
      normalizedResponse: { content: [{ type: 'text', text: '{"title":"Hi"}' }], finish_reason: 'stop' },
      metadata: { structured_output: true, stream_summary: { text_delta_count: 2, finish_reason: 'stop' } },
    });
    expect(failed).toMatchObject({ status: 'error', metadata: { structured_output: true, stream_summary: { error_count: 1, last_error: 'schema mismatch' } } });
  });
});
