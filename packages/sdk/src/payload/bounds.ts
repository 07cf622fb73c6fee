import { sanitizeText } from './sanitize.js';

/** Size limits of recorded payloads. */
export interface PayloadBounds {
  /**
   * Longest text kept per message part, argument or error, in Unicode code points.
   * @defaultValue 10_000
   */
  maxTextRunes?: number;
  /**
   * Largest HTTP body kept per attempt, and largest streamed text kept per step, in UTF-8 bytes.
   * @defaultValue 50_000
   */
  maxBodyBytes?: number;
}

export const DEFAULT_MAX_TEXT_RUNES = 10_000;
export const DEFAULT_MAX_BODY_BYTES = 50_000;

/** Bounds with defaults filled in. */
export type ResolvedPayloadBounds = Required<PayloadBounds>;

export function resolvePayloadBounds(bounds: PayloadBounds | undefined): ResolvedPayloadBounds {
  return {
    maxTextRunes: bounds?.maxTextRunes ?? DEFAULT_MAX_TEXT_RUNES,
    maxBodyBytes: bounds?.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  };
}

/** A bounded text and the length of the original, in code points. */
export interface BoundedText {
  text: string;
  /** Code points of the original text. */
  length: number;
  truncated: boolean;
}

/**
 * Keeps at most `maxRunes` code points, the last of them an ellipsis when cut, and makes the
 * text jsonb-safe. Reports the original length in code points.
 */
export function boundText(text: string, maxRunes: number = DEFAULT_MAX_TEXT_RUNES): BoundedText {
  const clean = sanitizeText(text);
  // Fast path: UTF-16 length is an upper bound on code points.
  if (clean.length <= maxRunes) return { text: clean, length: countRunes(clean), truncated: false };
  const runes = Array.from(clean);
  if (runes.length <= maxRunes) return { text: clean, length: runes.length, truncated: false };
  const kept = maxRunes <= 0 ? '' : `${runes.slice(0, maxRunes - 1).join('')}…`;
  return { text: kept, length: runes.length, truncated: true };
}

/** Code points in a string (not UTF-16 units). */
export function countRunes(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/** The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`, cut on a code point boundary. */
export function cutToUtf8Bytes(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return '';
  if (text.length * 3 <= maxBytes) return text;
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const code = text.codePointAt(i) as number;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += code >= 0x10000 ? 2 : 1;
  }
  return text.slice(0, i);
}
