import { describe, expect, it } from 'vitest';
import { sanitizeJson } from '@chatdebug/sdk';

// A small deterministic PRNG so a failure names its seed.
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ['a', 'Z', ' ', '"', '\\', '\n', '\u0001', '\u001f', 'é', '€', '😀', '\u0000', '\ud800'];

function randomValue(random: () => number, depth: number): unknown {
  const pick = random();
  if (depth > 3 || pick < 0.45) {
    const kind = Math.floor(random() * 6);
    if (kind === 0) return -random() * 1e300;
    if (kind === 1) return random() < 0.5;
    if (kind === 2) return null;
    if (kind === 3) return new Date(Math.floor(random() * 2e12));
    const length = Math.floor(random() * 40);
    return Array.from({ length }, () => ALPHABET[Math.floor(random() * ALPHABET.length)]).join('');
  }
  const size = Math.floor(random() * 6);
  if (pick < 0.7) return Array.from({ length: size }, () => randomValue(random, depth + 1));
  const object: Record<string, unknown> = {};
  for (let i = 0; i < size; i++) object[`k${i}${ALPHABET[Math.floor(random() * ALPHABET.length)]}`] = randomValue(random, depth + 1);
  return object;
}

describe('sanitizeJson size bound', () => {
  it('keeps a value exactly when its JSON fits maxJsonBytes, and marks it truncated exactly when not', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const random = mulberry32(seed);
      const value = randomValue(random, 0);
      const full = sanitizeJson(value, { maxJsonBytes: Number.MAX_SAFE_INTEGER });
      const length = JSON.stringify(full).length;
      for (const maxJsonBytes of [length - 1, length, length + 1, length * 2, length * 7, length * 50 + 200]) {
        if (maxJsonBytes < 0) continue;
        const bounded = sanitizeJson(value, { maxJsonBytes });
        const truncated = typeof bounded === 'object' && bounded !== null && !Array.isArray(bounded) && bounded.truncated === true;
        const expectTruncated = length > maxJsonBytes && typeof full === 'object' && full !== null;
        expect({ seed, maxJsonBytes, truncated }).toEqual({ seed, maxJsonBytes, truncated: expectTruncated || (typeof full === 'string' && full.length > maxJsonBytes) });
        if (!truncated) expect(bounded).toEqual(full);
      }
    }
  });
});
