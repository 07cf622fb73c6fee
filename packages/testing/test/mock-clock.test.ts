import { describe, expect, it } from 'vitest';
import { DEFAULT_MOCK_CLOCK_START, MockClock } from '@chatdebug/testing';

const START = Date.UTC(2026, 0, 1);

describe('MockClock', () => {
  it('starts at 2026-01-01T00:00:00Z by default, or at the given Date or epoch ms', () => {
    expect(new MockClock().now().toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(DEFAULT_MOCK_CLOCK_START).toBe(START);
    expect(new MockClock(new Date('2030-05-06T07:08:09Z')).nowMillis()).toBe(Date.parse('2030-05-06T07:08:09Z'));
    expect(new MockClock(1_000).now().getTime()).toBe(1_000);
    expect(() => new MockClock(new Date(Number.NaN))).toThrow(RangeError);
  });

  it('now() returns a fresh Date each time: mutating one does not move the clock', () => {
    const clock = new MockClock();
    clock.now().setTime(0);
    expect(clock.nowMillis()).toBe(START);
  });

  it('time only moves on advance and set', () => {
    const clock = new MockClock();
    clock.advance(1_500);
    expect(clock.nowMillis()).toBe(START + 1_500);
    clock.set(new Date(START + 10_000));
    expect(clock.nowMillis()).toBe(START + 10_000);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
  });

  it('fires timers in due-time order during advance, each seeing now() equal to its due time', () => {
    const clock = new MockClock();
    const seen: Array<[string, number]> = [];
    clock.setTimeout(() => seen.push(['c', clock.nowMillis() - START]), 300);
    clock.setTimeout(() => seen.push(['a', clock.nowMillis() - START]), 100);
    clock.setTimeout(() => seen.push(['b', clock.nowMillis() - START]), 200);
    clock.setTimeout(() => seen.push(['late', clock.nowMillis() - START]), 1_000);
    clock.advance(500);
    expect(seen).toEqual([
      ['a', 100],
      ['b', 200],
      ['c', 300],
    ]);
    expect(clock.nowMillis()).toBe(START + 500);
    expect(clock.pendingTimers).toBe(1);
  });

  it('timers due at the same instant fire in the order they were armed', () => {
    const clock = new MockClock();
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) clock.setTimeout(() => seen.push(i), 50);
    clock.advance(50);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it('intervals re-arm and fire once per period inside the window', () => {
    const clock = new MockClock();
    const ticks: number[] = [];
    const handle = clock.setInterval(() => ticks.push(clock.nowMillis() - START), 1_000);
    clock.advance(3_500);
    expect(ticks).toEqual([1_000, 2_000, 3_000]);
    clock.advance(500);
    expect(ticks).toEqual([1_000, 2_000, 3_000, 4_000]);
    clock.clearInterval(handle);
    clock.advance(10_000);
    expect(ticks).toHaveLength(4);
    expect(clock.pendingTimers).toBe(0);
  });

  it('interleaves intervals and timers in time order', () => {
    const clock = new MockClock();
    const seen: string[] = [];
    clock.setInterval(() => seen.push(`i${clock.nowMillis() - START}`), 100);
    clock.setTimeout(() => seen.push(`t${clock.nowMillis() - START}`), 150);
    clock.advance(300);
    expect(seen).toEqual(['i100', 't150', 'i200', 'i300']);
  });

  it('timers armed by a callback fire in the same advance when they fall inside the window', () => {
    const clock = new MockClock();
    const seen: number[] = [];
    clock.setTimeout(() => {
      seen.push(clock.nowMillis() - START);
      clock.setTimeout(() => seen.push(clock.nowMillis() - START), 50);
      clock.setTimeout(() => seen.push(clock.nowMillis() - START), 500);
    }, 100);
    clock.advance(200);
    expect(seen).toEqual([100, 150]);
    clock.advance(400);
    expect(seen).toEqual([100, 150, 600]);
  });

  it('an interval that clears itself, or re-arms at another period, is honoured mid-advance', () => {
    const clock = new MockClock();
    const seen: number[] = [];
    let handle = clock.setInterval(() => {
      seen.push(clock.nowMillis() - START);
      clock.clearInterval(handle);
      handle = clock.setInterval(() => seen.push(clock.nowMillis() - START), 10);
    }, 100);
    clock.advance(130);
    expect(seen).toEqual([100, 110, 120, 130]);
  });

  it('clearTimeout cancels; unknown and undefined handles are ignored', () => {
    const clock = new MockClock();
    let fired = false;
    const handle = clock.setTimeout(() => {
      fired = true;
    }, 10);
    clock.clearTimeout(handle);
    clock.clearTimeout(undefined);
    clock.clearTimeout({});
    clock.advance(100);
    expect(fired).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('handles have a no-op unref()', () => {
    const clock = new MockClock();
    const handle = clock.setTimeout(() => {}, 10);
    expect(handle.unref()).toBe(handle);
    expect(clock.pendingTimers).toBe(1);
  });

  it('a zero or invalid timeout delay fires at the current instant; intervals are at least 1 ms', () => {
    const clock = new MockClock();
    const seen: string[] = [];
    clock.setTimeout(() => seen.push('zero'), 0);
    clock.setTimeout(() => seen.push('negative'), -5);
    clock.advance(0);
    expect(seen).toEqual(['zero', 'negative']);
    let ticks = 0;
    clock.setInterval(() => ticks++, 0);
    clock.advance(5);
    expect(ticks).toBe(5);
  });

  it('set() forward fires due timers; backwards moves time without firing', () => {
    const clock = new MockClock();
    const seen: number[] = [];
    clock.setTimeout(() => seen.push(clock.nowMillis() - START), 1_000);
    clock.set(new Date(START - 60_000));
    expect(seen).toEqual([]);
    expect(clock.nowMillis()).toBe(START - 60_000);
    clock.set(START + 2_000);
    expect(seen).toEqual([1_000]);
    expect(clock.nowMillis()).toBe(START + 2_000);
  });

  it('nextDueMillis and runAll drain armed timers', () => {
    const clock = new MockClock();
    const seen: number[] = [];
    expect(clock.nextDueMillis).toBeUndefined();
    clock.setTimeout(() => seen.push(2), 2_000);
    clock.setTimeout(() => seen.push(1), 1_000);
    expect(clock.nextDueMillis).toBe(START + 1_000);
    expect(clock.runAll()).toBe(2);
    expect(seen).toEqual([1, 2]);
    expect(clock.nowMillis()).toBe(START + 2_000);
    clock.setInterval(() => {}, 1);
    expect(clock.runAll(10)).toBe(10);
  });

  it('a throwing callback does not stop the others; advance rethrows after reaching the target', () => {
    const clock = new MockClock();
    const seen: number[] = [];
    clock.setTimeout(() => {
      throw new Error('boom');
    }, 10);
    clock.setTimeout(() => seen.push(20), 20);
    expect(() => clock.advance(100)).toThrow('boom');
    expect(seen).toEqual([20]);
    expect(clock.nowMillis()).toBe(START + 100);
    clock.setTimeout(() => {
      throw new Error('one');
    }, 1);
    clock.setTimeout(() => {
      throw new Error('two');
    }, 2);
    expect(() => clock.advance(5)).toThrow(AggregateError);
  });

  it('advanceAsync waits for the promise of each callback before firing the next timer', async () => {
    const clock = new MockClock();
    const log: string[] = [];
    const work = async (name: string): Promise<void> => {
      log.push(`${name} start @${clock.nowMillis() - START}`);
      for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
      log.push(`${name} end`);
    };
    clock.setTimeout(() => work('a') as unknown as void, 10);
    clock.setTimeout(() => work('b') as unknown as void, 20);
    await clock.advanceAsync(30);
    expect(log).toEqual(['a start @10', 'a end', 'b start @20', 'b end']);
  });

  it('advanceAsync lets promise chains started by a callback run before the next timer', async () => {
    const clock = new MockClock();
    const log: string[] = [];
    clock.setTimeout(() => {
      void Promise.resolve()
        .then(() => Promise.resolve())
        .then(() => log.push(`chained @${clock.nowMillis() - START}`));
    }, 10);
    clock.setTimeout(() => log.push(`second @${clock.nowMillis() - START}`), 20);
    await clock.advanceAsync(20);
    expect(log).toEqual(['chained @10', 'second @20']);
  });

  it('advanceAsync does not wait for work parked on a later mock timer, and resumes it when that timer is due', async () => {
    const clock = new MockClock();
    const log: string[] = [];
    clock.setTimeout(async () => {
      log.push('retry scheduled');
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 1_000));
      log.push(`retried @${clock.nowMillis() - START}`);
    }, 100);
    await clock.advanceAsync(500);
    expect(log).toEqual(['retry scheduled']);
    await clock.advanceAsync(600);
    expect(log).toEqual(['retry scheduled', 'retried @1100']);
  });

  it('advanceAsync drives a backoff loop whose sleeps all fall inside the window', async () => {
    const clock = new MockClock();
    const attempts: number[] = [];
    const retrying = (async () => {
      for (let attempt = 0; attempt < 4; attempt++) {
        attempts.push(clock.nowMillis() - START);
        await new Promise<void>((resolve) => clock.setTimeout(resolve, 100 * 2 ** attempt));
      }
      return 'done';
    })();
    await clock.advanceAsync(1_500);
    expect(attempts).toEqual([0, 100, 300, 700]);
    await expect(retrying).resolves.toBe('done');
  });

  it('settle() awaits work started by timers that fired in a synchronous advance', async () => {
    const clock = new MockClock();
    let finished = false;
    clock.setTimeout(async () => {
      for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
      finished = true;
    }, 10);
    clock.advance(10);
    expect(finished).toBe(false);
    await clock.settle();
    expect(finished).toBe(true);
  });

  it('settle() and advanceAsync() report rejections of callback promises', async () => {
    const clock = new MockClock();
    clock.setTimeout(async () => {
      await Promise.resolve();
      throw new Error('async boom');
    }, 10);
    clock.advance(10);
    await expect(clock.settle()).rejects.toThrow('async boom');
    await expect(clock.settle()).resolves.toBeUndefined();
    clock.setTimeout(() => Promise.reject(new Error('later')) as unknown as void, 10);
    await expect(clock.advanceAsync(10)).rejects.toThrow('later');
    expect(clock.nowMillis()).toBe(START + 20);
  });

  it('reset() cancels every timer without moving time', () => {
    const clock = new MockClock();
    clock.setTimeout(() => {}, 10);
    clock.setInterval(() => {}, 10);
    clock.advance(5);
    clock.reset();
    expect(clock.pendingTimers).toBe(0);
    expect(clock.nowMillis()).toBe(START + 5);
  });
});
