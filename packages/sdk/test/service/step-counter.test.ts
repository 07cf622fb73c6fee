import { describe, expect, it } from 'vitest';
import { StepCounter } from '@chatdebug/sdk';

describe('StepCounter (§7 item 36)', () => {
  it('256 concurrent calls yield 1…256 without duplicates', async () => {
    const counter = new StepCounter();
    const numbers = await Promise.all(Array.from({ length: 256 }, async () => counter.next('run')));
    expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: 256 }, (_, i) => i + 1));
  });

  it('sync(7) → next is 8; sync never lowers; drop forgets', () => {
    const counter = new StepCounter();
    counter.sync('run', 7);
    expect(counter.next('run')).toBe(8);
    counter.sync('run', 3);
    expect(counter.next('run')).toBe(9);
    counter.drop('run');
    expect(counter.next('run')).toBe(1);
    expect(counter.peek('other')).toBe(0);
  });
});
