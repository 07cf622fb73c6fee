import { describe, expect, it } from 'vitest';
import { DebugService, Tracer, newId } from '@chatdebug/sdk';
import { MemoryExporter, MockClock, expectTrace, formatTrace, normalizeTrace, readTrace } from '@chatdebug/testing';
import type { Model } from '../src/assistant.js';
import { answer } from '../src/assistant.js';

function harness() {
  const clock = new MockClock(new Date('2026-06-01T09:00:00Z'));
  const exporter = new MemoryExporter();
  const service = new DebugService({ exporter, clock, staleAfterMillis: 60_000 });
  const tracer = new Tracer({ service, strict: true });
  return { clock, exporter, service, tracer };
}

describe('the assistant, traced', () => {
  it('records one run with a tool-call step and a final answer step', async () => {
    const { tracer, exporter, clock } = harness();
    const chatId = newId();
    let calls = 0;
    const model: Model = async () => {
      clock.advance(800); // the model "thinks" for 800 ms of mock time
      calls++;
      return calls === 1
        ? { toolCall: { id: 'call_1', name: 'weather', arguments: '{"city":"Oslo"}' }, usage: { input_tokens: 20, output_tokens: 8 } }
        : { text: 'It is 3 °C in Oslo.', usage: { input_tokens: 35, output_tokens: 9 } };
    };

    const text = await answer(tracer, model, { weather: async () => '3 °C' }, chatId, 'Weather in Oslo?');
    await tracer.forceFlush();

    expect(text).toBe('It is 3 °C in Oslo.');
    await expectTrace(exporter, chatId, [
      {
        kind: 'chat_turn',
        status: 'completed',
        durationMillis: 1600,
        summary: { first_message: 'Weather in Oslo?', step_count: 2, total_input_tokens: 55, total_output_tokens: 17 },
        steps: [
          { number: 1, status: 'completed', durationMillis: 800, response: { finish_reason: 'tool-calls' } },
          { number: 2, status: 'completed', response: { content: [{ text: 'It is 3 °C in Oslo.' }] } },
        ],
      },
    ]);
    expect(formatTrace(normalizeTrace(await readTrace(exporter, chatId)))).toMatchInlineSnapshot(`
      "run-1 chat_turn completed "Weather in Oslo?" steps=2 tokens=55→17
        1 generate completed tokens=20→8 attempts=0 "[tool weather]"
        2 generate completed tokens=35→9 attempts=0 "It is 3 °C in Oslo.""
    `);
  });

  it('a failing model marks the step and the run as errors', async () => {
    const { tracer, exporter } = harness();
    const chatId = newId();
    await expect(answer(tracer, async () => Promise.reject(new Error('rate limited')), {}, chatId, 'hi')).rejects.toThrow('rate limited');
    await tracer.forceFlush();
    await expectTrace(exporter, chatId, [
      { status: 'error', summary: { has_error: true }, steps: [{ status: 'error', error: { message: 'rate limited' } }] },
    ]);
  });

  it('a hung model call keeps heartbeating, so the stale sweep leaves it alone', async () => {
    const { tracer, exporter, service, clock } = harness();
    const chatId = newId();
    let release: (reply: Awaited<ReturnType<Model>>) => void = () => {};
    const pending = answer(tracer, () => new Promise((resolve) => (release = resolve)), {}, chatId, 'slow?');
    for (let i = 0; i < 10; i++) {
      await clock.advanceAsync(30_000); // heartbeats every 30 s (half the 60 s threshold)
      await tracer.forceFlush();
      expect(await service.finalizeStale()).toEqual({ runsFinalized: 0, stepsFinalized: 0 });
    }
    release({ text: 'done', usage: { input_tokens: 1, output_tokens: 1 } });
    await pending;
    await tracer.forceFlush();
    await expectTrace(exporter, chatId, [{ status: 'completed', steps: [{ status: 'completed' }] }]);
  });
});
