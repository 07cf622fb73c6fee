import type { AttributeValue, Attributes, HrTime } from '@opentelemetry/api';
import type { JsonObject, JsonValue } from '@chatdebug/sdk';
import { boundText, isJsonObject } from '@chatdebug/sdk';

/** An OTel high-resolution time as a `Date` (millisecond precision). */
export function hrTimeToDate(time: HrTime): Date {
  return new Date(time[0] * 1000 + Math.floor(time[1] / 1e6));
}

/** The first string among `keys` that is set and not empty. */
export function stringAttribute(attributes: Attributes, ...keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = attributes[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

/** The first finite number among `keys` (numeric strings accepted). */
export function numberAttribute(attributes: Attributes, ...keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const value = attributes[key];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    if (typeof value === 'string' && value.trim() !== '') {
      const parsed = Number(value);
      if (Number.isFinite(parsed)) return parsed;
    }
  }
  return undefined;
}

/** A string array attribute (a lone string counts as one element). */
export function stringsAttribute(value: AttributeValue | undefined): string[] | undefined {
  if (typeof value === 'string') return value === '' ? undefined : [value];
  if (!Array.isArray(value)) return undefined;
  const strings = (value as ReadonlyArray<unknown>).filter((item): item is string => typeof item === 'string' && item !== '');
  return strings.length > 0 ? strings : undefined;
}

/** Parses JSON text; undefined when it is not valid JSON. */
export function parseJson(text: unknown): JsonValue | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}

/** `value[key]` when `value` is a JSON object. */
export function field(value: JsonValue | undefined, key: string): JsonValue | undefined {
  return isJsonObject(value) ? value[key] : undefined;
}

/** `value[key]` when it is a string. */
export function stringField(value: JsonValue | undefined, key: string): string | undefined {
  const found = field(value, key);
  return typeof found === 'string' ? found : undefined;
}

/** `value[key]` when it is a finite number. */
export function numberField(value: JsonValue | undefined, key: string): number | undefined {
  const found = field(value, key);
  return typeof found === 'number' && Number.isFinite(found) ? found : undefined;
}

/** Bounds a string to `max` code points (the last an ellipsis when cut) and makes it jsonb-safe. */
export function bounded(text: string, max: number): string {
  return boundText(text, max).text;
}

/** Copies the defined entries of `source` (a small helper for optional JSON fields). */
export function compact(source: Record<string, JsonValue | undefined>): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(source)) if (value !== undefined) out[key] = value;
  return out;
}
