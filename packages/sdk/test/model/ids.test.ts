import { describe, expect, it } from 'vitest';
import { isUuid, newId } from '@chatdebug/sdk';

describe('newId', () => {
  it('makes RFC 9562 version-7 UUIDs whose timestamp is the current millisecond', () => {
    const before = Date.now();
    const id = newId();
    const after = Date.now();
    expect(isUuid(id)).toBe(true);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const millis = Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);
    expect(millis).toBeGreaterThanOrEqual(before);
    expect(millis).toBeLessThanOrEqual(after + 1);
  });

  it('is strictly increasing within a process, also past 4,096 ids in one millisecond', () => {
    const ids = Array.from({ length: 20_000 }, () => newId());
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('spreads its random bits: no two ids share their last 62 bits', () => {
    const tails = new Set(Array.from({ length: 5_000 }, () => newId().slice(20)));
    expect(tails.size).toBe(5_000);
  });
});
