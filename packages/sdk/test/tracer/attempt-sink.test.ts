import { describe, expect, it } from 'vitest';
import type { Attempt } from '@chatdebug/sdk';
import { activeStep, withStep } from '@chatdebug/sdk';
import { CHAT, setup, turns } from '../support/tracing.js';

function attempt(number: number): Attempt {
  return { number, status: 'completed', method: 'POST', url: 'http://127.0.0.1/v1/chat', path: '/v1/chat', started_at: '', finished_at: '', duration_ms: 1 };
}

describe('attempt sink (§7 item 34)', () => {
  it('is safe under concurrent use: every attempt lands once with a unique number', async () => {
    const { tracer, memory, flush } = setup();
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    const step = run.startStep();
    await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        await turns(i % 3);
        step.recordAttempt(attempt(step.nextAttemptNumber()));
      }),
    );
    step.end();
    run.end();
    await flush();
    const numbers = (memory.steps()[0]?.attempts as Array<{ number: number }>).map((a) => a.number).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('round-trips through the async context, across awaits and timers', async () => {
    const { tracer, flush } = setup();
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    const step = run.startStep();
    const seen = await withStep(step, async () => {
      await turns(2);
      return new Promise((resolve) => setTimeout(() => resolve(activeStep()), 1));
    });
    expect(seen).toBe(step);
    expect(activeStep()).toBeUndefined();
    step.end();
    run.end();
    await flush();
  });

  it('attempts recorded after the step ended are still kept', async () => {
    const { tracer, memory, flush } = setup();
    const run = tracer.startRun({ chatId: CHAT, kind: 'chat_turn' });
    const step = run.startStep();
    step.end();
    step.recordAttempt(attempt(step.nextAttemptNumber()));
    run.end();
    await flush();
    expect(memory.steps()[0]?.attempts).toHaveLength(1);
  });
});
