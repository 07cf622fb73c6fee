import { describe, expect, it } from 'vitest';
import type { JsonValue, StepRecord } from '@chatdebug/sdk';
import { DebugService, NIL_UUID, aggregateRunSummary, extractFirstUserText, seedSummary, silentLogger, truncateLabel } from '@chatdebug/sdk';
import { FaultInjectingExporter, MemoryExporter, MockClock } from '@chatdebug/testing';
import { CHAT } from '../support/tracing.js';

describe('truncateLabel (§7 item 26)', () => {
  it.each([
    ['empty', '', 10, ''],
    ['whitespace only', ' \n\t  ', 10, ''],
    ['short', 'hello', 10, 'hello'],
    ['exact length', 'abcde', 5, 'abcde'],
    ['long', 'abcdefgh', 5, 'abcd…'],
    ['zero max', 'abc', 0, ''],
    ['negative max', 'abc', -3, ''],
    ['max one', 'abc', 1, '…'],
    ['collapses whitespace', '  a \n\n b\t\tc  ', 20, 'a b c'],
    ['unicode runes', 'héllo wörld 🎉🎉🎉', 13, 'héllo wörld …'],
    ['emoji counted as one rune', '🎉🎉🎉', 3, '🎉🎉🎉'],
  ])('%s', (_name, input, max, expected) => {
    const label = truncateLabel(input, max);
    expect(label).toBe(expected);
    expect(Array.from(label).length).toBeLessThanOrEqual(Math.max(max, 0));
  });

  it('defaults to 200 runes', () => {
    expect(Array.from(truncateLabel('x'.repeat(500))).length).toBe(200);
  });
});

describe('seedSummary (item 27)', () => {
  it('wraps a non-empty label', () => expect(seedSummary('hi')).toEqual({ first_message: 'hi' }));
  it('is undefined for an empty label', () => expect(seedSummary('')).toBeUndefined());
});

describe('extractFirstUserText (item 28)', () => {
  it('empty prompt', () => expect(extractFirstUserText([])).toBe(''));
  it('no user message', () => expect(extractFirstUserText([{ role: 'system', parts: [{ type: 'text', text: 'sys' }] }])).toBe(''));
  it('mixed parts concatenated, files skipped', () =>
    expect(
      extractFirstUserText([
        { role: 'user', parts: [{ type: 'text', text: 'look ' }, { type: 'file' }, { type: 'text', text: 'here' }] },
      ]),
    ).toBe('look here'));
  it('first user message wins', () =>
    expect(
      extractFirstUserText([
        { role: 'assistant', parts: [{ type: 'text', text: 'a' }] },
        { role: 'user', parts: [{ type: 'text', text: 'first' }] },
        { role: 'user', parts: [{ type: 'text', text: 'second' }] },
      ]),
    ).toBe('first'));
  it('plain string content (wire formats)', () => expect(extractFirstUserText([{ role: 'user', content: 'hello' }])).toBe('hello'));
});

let counter = 0;
function step(fields: Partial<StepRecord> = {}): StepRecord {
  const at = new Date('2026-01-01T00:00:00Z');
  counter++;
  return {
    id: `00000000-0000-7000-8000-${String(counter).padStart(12, '0')}`,
    runId: '00000000-0000-7000-8000-000000000001',
    chatId: '00000000-0000-7000-8000-000000000002',
    stepNumber: counter,
    operation: 'generate',
    status: 'completed',
    historyTipMessageId: null,
    assistantMessageId: null,
    normalizedRequest: {},
    normalizedResponse: null,
    usage: null,
    attempts: [],
    error: null,
    metadata: {},
    startedAt: at,
    updatedAt: at,
    finishedAt: at,
    ...fields,
  };
}

describe('aggregateRunSummary (items 29–33)', () => {
  it('zero steps keep first_message, counts 0, optional keys absent', () => {
    expect(aggregateRunSummary([], { first_message: 'hi' })).toEqual({
      first_message: 'hi',
      step_count: 0,
      total_input_tokens: 0,
      total_output_tokens: 0,
    });
  });

  it('works from an undefined base and never mutates the base', () => {
    expect(aggregateRunSummary([step()], undefined)).toEqual({ step_count: 1, total_input_tokens: 0, total_output_tokens: 0 });
    const base = { first_message: 'x', step_count: 99 };
    aggregateRunSummary([], base);
    expect(base).toEqual({ first_message: 'x', step_count: 99 });
  });

  it('clears stale derived keys from the base', () => {
    const summary = aggregateRunSummary([step()], {
      first_message: 'keep',
      has_error: true,
      endpoint_label: 'GET /stale',
      total_reasoning_tokens: 7,
      step_count: 9,
    });
    expect(summary).toEqual({ first_message: 'keep', step_count: 1, total_input_tokens: 0, total_output_tokens: 0 });
  });

  it('has_error from an error step; endpoint_label from the first completed attempt', () => {
    const attempts: JsonValue[] = [
      { number: 1, status: 'failed', method: 'POST', path: '/v1/failed' },
      { number: 2, status: 'completed', method: 'POST', path: '/v1/messages' },
    ];
    const summary = aggregateRunSummary([step({ status: 'error', error: { message: 'boom' } }), step({ attempts })], {});
    expect(summary.has_error).toBe(true);
    expect(summary.endpoint_label).toBe('POST /v1/messages');
  });

  it('endpoint_label is the path alone when the method is empty', () => {
    const summary = aggregateRunSummary([step({ attempts: [{ status: 'completed', method: '', path: '/v1/x' }] })], {});
    expect(summary.endpoint_label).toBe('/v1/x');
  });

  it('an error payload on a completed step sets has_error', () => {
    expect(aggregateRunSummary([step({ error: { message: 'partial' } })], {}).has_error).toBe(true);
  });

  it('an interrupted step with an error payload does not set has_error (item 32)', () => {
    expect(aggregateRunSummary([step({ status: 'interrupted', error: { message: 'stopped' } })], {})).not.toHaveProperty('has_error');
  });

  it('sums tokens incl. cache and reasoning; zero totals omit optional keys; malformed usage skipped (item 33)', () => {
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (message: string) => void warnings.push(message) };
    const summary = aggregateRunSummary(
      [
        step({ usage: { input_tokens: 10, output_tokens: 5, reasoning_tokens: 2, cache_read_tokens: 3 } }),
        step({ usage: { input_tokens: 1, output_tokens: 1, cache_creation_tokens: 4 } }),
        step({ usage: null }),
        step({ usage: 'not an object' }),
        step({ usage: { input_tokens: 'NaN' } }),
      ],
      {},
      logger,
    );
    expect(summary).toEqual({
      step_count: 5,
      total_input_tokens: 11,
      total_output_tokens: 6,
      total_reasoning_tokens: 2,
      total_cache_creation_tokens: 4,
      total_cache_read_tokens: 3,
    });
    expect(warnings).toHaveLength(2);
    expect(aggregateRunSummary([step({ usage: { input_tokens: 0 } })], {})).not.toHaveProperty('total_reasoning_tokens');
  });

  it('skips malformed attempts', () => {
    const summary = aggregateRunSummary([step({ attempts: ['bad', 3, null] }), step({ attempts: [{ status: 'completed', method: 'GET', path: '/ok' }] })], {});
    expect(summary.endpoint_label).toBe('GET /ok');
  });
});

describe('aggregateRunSummary: endpoint label rule (item 31)', () => {
  it('skips completed attempts without a path and takes the next completed one', () => {
    const summary = aggregateRunSummary(
      [
        step({ attempts: [{ status: 'completed', method: 'POST', path: '' }, { status: 'failed', method: 'POST', path: '/v1/failed' }] }),
        step({ attempts: [{ status: 'completed', method: 'POST' }, { status: 'completed', method: 'POST', path: '/v1/b' }] }),
      ],
      {},
    );
    expect(summary.endpoint_label).toBe('POST /v1/b');
  });
});

describe('DebugService.aggregateRunSummary (items 29–30)', () => {
  it('the nil run id returns the base as given without reading, and an undefined base stays undefined', async () => {
    const exporter = new FaultInjectingExporter(new MemoryExporter());
    const service = new DebugService({ exporter, clock: new MockClock() });
    const base = { first_message: 'hi', step_count: 7 };
    expect(await service.aggregateRunSummary(NIL_UUID, base)).toBe(base);
    expect(base).toEqual({ first_message: 'hi', step_count: 7 });
    expect(await service.aggregateRunSummary(NIL_UUID, undefined)).toBeUndefined();
    expect(exporter.calls).toEqual([]);
  });

  it("folds a stored run's steps into the base, recomputing derived keys", async () => {
    const service = new DebugService({ exporter: new MemoryExporter(), clock: new MockClock() });
    const run = await service.createRun({ chatId: CHAT, kind: 'chat_turn' });
    const first = await service.createStep({ runId: run.id, chatId: CHAT, stepNumber: 1, operation: 'generate' });
    await service.updateStep({ id: first.id, chatId: CHAT, status: 'completed', usage: { input_tokens: 3, output_tokens: 1 } });
    await service.createStep({ runId: run.id, chatId: CHAT, stepNumber: 2, operation: 'stream' });
    expect(await service.aggregateRunSummary(run.id, { first_message: 'hi', has_error: true })).toEqual({
      first_message: 'hi',
      step_count: 2,
      total_input_tokens: 3,
      total_output_tokens: 1,
    });
    expect(await service.aggregateRunSummary(run.id, undefined)).toEqual({ step_count: 2, total_input_tokens: 3, total_output_tokens: 1 });
  });
});
