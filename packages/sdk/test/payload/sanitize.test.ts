import { describe, expect, it } from 'vitest';
import { boundText, countRunes, cutToUtf8Bytes, sanitizeJson, sanitizeJsonObject, sanitizeText } from '@chatdebug/sdk';

describe('sanitizeJson (F8 bad input)', () => {
  it('turns circular references into a marker, never throws', () => {
    const value: Record<string, unknown> = { a: 1 };
    value.self = value;
    expect(sanitizeJson(value)).toEqual({ a: 1, self: '[Circular]' });
  });

  it('keeps shared (non-circular) references', () => {
    const shared = { x: 1 };
    expect(sanitizeJson({ a: shared, b: shared })).toEqual({ a: { x: 1 }, b: { x: 1 } });
  });

  it('BigInt, functions, symbols, undefined, non-finite numbers, dates, maps, sets, errors, binary', () => {
    expect(
      sanitizeJson({
        big: 12345678901234567890n,
        fn: () => 1,
        sym: Symbol('s'),
        undef: undefined,
        nan: Number.NaN,
        inf: Infinity,
        date: new Date('2026-01-02T03:04:05.000Z'),
        map: new Map([['k', 1]]),
        set: new Set([1, 2]),
        error: new TypeError('bad'),
        bytes: new Uint8Array(3),
        list: [undefined, () => 1, 1],
      }),
    ).toEqual({
      big: '12345678901234567890',
      nan: null,
      inf: null,
      date: '2026-01-02T03:04:05.000Z',
      map: { k: 1 },
      set: [1, 2],
      error: { name: 'TypeError', message: 'bad' },
      bytes: '[binary 3 bytes]',
      list: [null, null, 1],
    });
  });

  it('replaces NUL and lone surrogates (rejected by jsonb) in values and keys', () => {
    expect(sanitizeJson({ 'k\u0000': 'a\u0000b\ud800c' })).toEqual({ 'k\uFFFD': 'a\uFFFDb\uFFFDc' });
    expect(sanitizeText('fine')).toBe('fine');
  });

  it('bounds huge values with a marked preview', () => {
    const big = sanitizeJson({ body: 'x'.repeat(10_000_000) }, { maxJsonBytes: 1000 });
    expect(big).toMatchObject({ truncated: true, original_bytes: 10_000_011 });
    expect(JSON.stringify(big).length).toBeLessThan(3000);
  });

  it('caps depth', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(JSON.stringify(sanitizeJson(deep, { maxDepth: 3 }))).toBe('[[["[MaxDepth]"]]]');
  });

  it('is a snapshot: later mutation does not leak in', () => {
    const input = { list: [1] };
    const copy = sanitizeJson(input);
    input.list.push(2);
    expect(copy).toEqual({ list: [1] });
  });

  it('a throwing getter or toJSON becomes a marker', () => {
    const value = {
      get boom(): never {
        throw new Error('no');
      },
      nested: { toJSON: () => { throw new Error('no'); } },
    };
    expect(sanitizeJson(value)).toEqual({ boom: '[Unreadable]', nested: '[Unserializable]' });
  });

  it('sanitizeJsonObject wraps non-objects', () => {
    expect(sanitizeJsonObject([1])).toEqual({ value: [1] });
    expect(sanitizeJsonObject(null)).toEqual({});
  });
});

describe('bounds', () => {
  it('boundText keeps max runes with an ellipsis and reports the original length', () => {
    expect(boundText('hello', 10)).toEqual({ text: 'hello', length: 5, truncated: false });
    expect(boundText('hello world', 5)).toEqual({ text: 'hell…', length: 11, truncated: true });
    expect(boundText('🎉🎉🎉🎉', 3)).toEqual({ text: '🎉🎉…', length: 4, truncated: true });
  });

  it('cutToUtf8Bytes never splits a code point', () => {
    expect(cutToUtf8Bytes('aé🎉', 3)).toBe('aé');
    expect(cutToUtf8Bytes('aé🎉', 6)).toBe('aé');
    expect(cutToUtf8Bytes('aé🎉', 7)).toBe('aé🎉');
    expect(countRunes('aé🎉')).toBe(3);
  });
});
