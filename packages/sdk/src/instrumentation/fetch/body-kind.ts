import { cutToUtf8Bytes } from '../../payload/bounds.js';
import { sanitizeText } from '../../payload/sanitize.js';
import { TRUNCATED } from '../../redaction/markers.js';
import { redactJsonText, redactNdjson } from '../../redaction/redact-json.js';
import { maskKnownKeys, redactQueryString } from '../../redaction/redact-url.js';

/**
 * How a body is stored: `json` (also when the content type is missing) is redacted or fails
 * closed, `ndjson` is redacted line by line, `form` like a query string, `sse` and `text` are
 * kept verbatim, `binary` is stored as a size marker.
 */
export type BodyKind = 'json' | 'ndjson' | 'form' | 'sse' | 'text' | 'binary';

const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines', 'application/jsonlines', 'application/json-seq'];
const TEXT_TYPES = ['application/xml', 'application/javascript', 'application/graphql', 'application/yaml', 'application/x-yaml'];

/** The {@link BodyKind} of a content type (`null`/empty: JSON, to fail closed). */
export function bodyKindOf(contentType: string | null | undefined): BodyKind {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (media === '') return 'json';
  if (media === 'text/event-stream') return 'sse';
  if (NDJSON_TYPES.includes(media)) return 'ndjson';
  if (media.includes('json')) return 'json';
  if (media === 'application/x-www-form-urlencoded') return 'form';
  if (media.startsWith('text/') || media.endsWith('+xml') || TEXT_TYPES.includes(media)) return 'text';
  return 'binary';
}

/** Decodes UTF-8, dropping an incomplete sequence at the end (a cut in the middle of a character). */
export function decodeUtf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(bytes, { stream: true });
}

/**
 * Renders a captured body for storage (redacted by kind, then well-known key shapes masked).
 * `complete` is false when the body was larger than
 * `maxBytes`: verbatim kinds then keep a prefix followed by `[TRUNCATED]` (at most `maxBytes`
 * bytes in all), redacted kinds store the literal `[TRUNCATED]` (a cut JSON text cannot be
 * redacted safely).
 */
export function renderBody(bytes: Uint8Array, totalBytes: number, complete: boolean, kind: BodyKind, maxBytes: number): string {
  if (kind === 'binary') return totalBytes === 0 ? '' : `[binary ${totalBytes} bytes]`;
  if (!complete) {
    if (kind !== 'sse' && kind !== 'text') return TRUNCATED;
    const room = maxBytes - Buffer.byteLength(TRUNCATED);
    return room <= 0 ? TRUNCATED : `${cutToUtf8Bytes(maskKnownKeys(sanitizeText(decodeUtf8(bytes))), room)}${TRUNCATED}`;
  }
  const text = decodeUtf8(bytes);
  switch (kind) {
    case 'json':
      return maskKnownKeys(redactJsonText(text));
    case 'ndjson':
      return maskKnownKeys(redactNdjson(text));
    case 'form':
      return maskKnownKeys(redactQueryString(text));
    default:
      return maskKnownKeys(text);
  }
}
