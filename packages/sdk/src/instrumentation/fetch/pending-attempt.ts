import type { Logger } from '../../logger/logger.js';
import { describeError } from '../../logger/logger.js';
import type { Attempt, AttemptStatus } from '../../model/attempt.js';
import { boundText } from '../../payload/bounds.js';
import type { AttemptSink } from '../../tracer/spans.js';
import { isCompleteJson } from '../../redaction/redact-json.js';
import { sanitizeErrorMessage } from '../../redaction/redact-url.js';
import type { BodyKind } from './body-kind.js';
import { decodeUtf8, renderBody } from './body-kind.js';
import { classifyRetry } from './retry-classification.js';

/** What is known about an attempt when its request is sent. */
export interface AttemptStart {
  sink: AttemptSink;
  number: number;
  method: string;
  url: string;
  path: string;
  startedMillis: number;
  requestHeaders: Record<string, string> | undefined;
  /** The rendered request body; a promise for a Blob body, undefined when not replayable. */
  requestBody: string | Promise<string | undefined> | undefined;
  maxBodyBytes: number;
  maxTextRunes: number;
  logger: Logger;
  /** Called once the attempt is handed to the sink (or failed to be). */
  onRecorded: (ok: boolean) => void;
}

/** What is known once the response headers arrived. */
export interface AttemptResponse {
  status: number;
  headers: Headers;
  redactedHeaders: Record<string, string>;
  kind: BodyKind;
  /** The body length in bytes when the server stated it and it is not content-encoded. */
  knownLength: number | undefined;
}

/**
 * One HTTP round trip being recorded. It is recorded exactly once, at the first of: a transport
 * error, a response without body, the end of the body, a read error, a cancel by the reader, an
 * abort of the request, or abandonment (the body was garbage-collected unread). The completed /
 * failed rules are those of §6.6.
 */
export class PendingAttempt {
  readonly #start: AttemptStart;
  #response: AttemptResponse | undefined;
  readonly #chunks: Uint8Array[] = [];
  #captured = 0;
  #total = 0;
  #overflow = false;
  #settled = false;
  #cleanup: (() => void)[] = [];
  #requestBody: string | Promise<string | undefined> | undefined;

  constructor(start: AttemptStart) {
    this.#start = start;
    const body = start.requestBody;
    this.#requestBody = body;
    // A body read asynchronously (a Blob, a Request object) is usually in long before the
    // attempt settles: kept here, the attempt is then recorded at once, in its step's final write.
    if (typeof body === 'object') {
      body.then(
        (text) => {
          if (this.#requestBody === body) this.#requestBody = text;
        },
        () => undefined, // reported where the attempt is recorded
      );
    }
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Registers work to do once the attempt is settled (removing listeners...). */
  onSettled(cleanup: () => void): void {
    if (this.#settled) cleanup();
    else this.#cleanup.push(cleanup);
  }

  responded(response: AttemptResponse): void {
    this.#response = response;
  }

  /** A chunk the reader received; at most `maxBodyBytes` are kept. */
  chunk(bytes: Uint8Array): void {
    if (this.#settled) return;
    this.#total += bytes.byteLength;
    if (this.#overflow) return;
    const room = this.#start.maxBodyBytes - this.#captured;
    if (bytes.byteLength <= room) {
      this.#chunks.push(bytes.slice());
      this.#captured += bytes.byteLength;
      return;
    }
    this.#overflow = true;
    // Verbatim bodies keep a prefix; keep just enough of this chunk to fill the bound.
    if (room > 0 && (this.#response?.kind === 'sse' || this.#response?.kind === 'text')) {
      this.#chunks.push(bytes.slice(0, room));
      this.#captured += room;
    }
  }

  /** A response without a body (HEAD, 204, 304...): completed. */
  noBody(): void {
    this.#settle('completed');
  }

  /** The reader saw the end of the body. */
  eof(): void {
    if (this.#settled) return;
    const response = this.#response;
    if (response && response.knownLength === undefined && !this.#overflow) {
      const text = decodeUtf8(this.#body());
      if (response.kind === 'json' && text.trim() !== '' && !isCompleteJson(text)) {
        this.#settle('failed', 'unexpected EOF: the JSON body is incomplete or followed by more data');
        return;
      }
      if (response.kind === 'ndjson' && !text.endsWith('\n')) {
        const last = text.slice(text.lastIndexOf('\n') + 1).trim();
        if (last !== '' && !isCompleteJson(last)) {
          this.#settle('failed', 'unexpected EOF: the last NDJSON line is incomplete');
          return;
        }
      }
    }
    this.#settle('completed');
  }

  /** The reader cancelled the body before its end. */
  cancelled(): void {
    if (this.#settled) return;
    if (this.completeSoFar()) this.#settle('completed');
    else this.#settle('failed', `response body closed by the reader before its end (${this.#total} bytes read)`);
  }

  /** True when what was read is the whole body (known length reached, or a complete JSON document). */
  completeSoFar(): boolean {
    const response = this.#response;
    if (!response) return false;
    if (response.knownLength !== undefined) return this.#total >= response.knownLength;
    if (response.kind === 'sse') return false;
    return this.#overflow || (response.kind === 'json' && isCompleteJson(decodeUtf8(this.#body())));
  }

  /** Reading the body failed (network error, abort...). */
  errored(error: unknown): void {
    this.#settle('failed', describeFetchError(error), error);
  }

  /** The request's signal aborted while the body was still being read. */
  aborted(): void {
    this.#settle('failed', `request aborted while reading the response body (${this.#total} bytes read)`);
  }

  /** The step ended while this (event-stream) body was still open. */
  stepEnded(): void {
    this.#settle('failed', `the step ended before the stream was read to the end (${this.#total} bytes read)`);
  }

  /** The body became unreachable before it was read to the end. */
  abandoned(): void {
    this.#settle('failed', `response body abandoned before it was read to the end (${this.#total} bytes read)`);
  }

  /** The request failed before a response arrived. */
  transportFailed(error: unknown): void {
    this.#settle('failed', describeFetchError(error), error);
  }

  #body(): Uint8Array {
    if (this.#chunks.length === 1) return this.#chunks[0] as Uint8Array;
    const out = new Uint8Array(this.#captured);
    let offset = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    this.#chunks.length = 0;
    this.#chunks.push(out);
    return out;
  }

  #settle(status: AttemptStatus, error?: string, cause?: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    for (const cleanup of this.#cleanup.splice(0)) {
      try {
        cleanup();
      } catch {
        // A cleanup that throws must not stop the attempt from being recorded.
      }
    }
    const start = this.#start;
    let attempt: Attempt;
    try {
      const clock = start.sink.clock;
      const finishedMillis = clock.nowMillis();
      attempt = {
        number: start.number,
        status,
        method: start.method,
        url: start.url,
        path: start.path,
        started_at: new Date(start.startedMillis).toISOString(),
        finished_at: new Date(finishedMillis).toISOString(),
        duration_ms: Math.max(0, finishedMillis - start.startedMillis),
      };
      if (start.requestHeaders) attempt.request_headers = start.requestHeaders;
      const response = this.#response;
      if (response) {
        attempt.response_status = response.status;
        attempt.response_headers = response.redactedHeaders;
        const body = this.#body();
        if (this.#total > 0) attempt.response_body = renderBody(body, this.#total, !this.#overflow, response.kind, start.maxBodyBytes);
      }
      if (error !== undefined) attempt.error = boundText(sanitizeErrorMessage(error), start.maxTextRunes).text;
      const retry = classifyRetry(
        response && cause === undefined ? { status: response.status, headers: response.headers } : { error: cause ?? new Error(error ?? '') },
        finishedMillis,
      );
      if (response || cause !== undefined) {
        if (retry.classification !== undefined) attempt.retry_classification = retry.classification;
        if (retry.delayMillis !== undefined) attempt.retry_delay_ms = retry.delayMillis;
      }
    } catch (failure) {
      this.#failed(failure);
      return;
    }
    this.#chunks.length = 0;
    const body = this.#requestBody;
    if (typeof body === 'object') {
      body.then(
        (text) => this.#record(text === undefined ? attempt : { ...attempt, request_body: text }),
        (failure: unknown) => {
          start.logger.warn('chatdebug: request body capture failed; attempt recorded without it', { error: describeError(failure) });
          this.#record(attempt);
        },
      );
    } else {
      this.#record(body === undefined ? attempt : { ...attempt, request_body: body });
    }
  }

  #record(attempt: Attempt): void {
    try {
      this.#start.sink.recordAttempt(orderAttempt(attempt));
      this.#start.onRecorded(true);
    } catch (failure) {
      this.#failed(failure);
    }
  }

  #failed(failure: unknown): void {
    this.#start.logger.warn('chatdebug: recording an HTTP attempt failed; the request itself is unaffected', {
      error: describeError(failure),
    });
    this.#start.onRecorded(false);
  }
}

/** Keys in the documented order (the stored JSON reads naturally). */
function orderAttempt(attempt: Attempt): Attempt {
  const ordered: Attempt = {
    number: attempt.number,
    status: attempt.status,
    method: attempt.method,
    url: attempt.url,
    path: attempt.path,
    started_at: attempt.started_at,
    finished_at: attempt.finished_at,
    duration_ms: attempt.duration_ms,
  };
  const optional = ['request_headers', 'request_body', 'response_status', 'response_headers', 'response_body', 'error', 'retry_classification', 'retry_delay_ms'] as const;
  for (const key of optional) if (attempt[key] !== undefined) Object.assign(ordered, { [key]: attempt[key] });
  return ordered;
}

/** A one-line description of a fetch failure, with the cause undici hides behind "fetch failed". */
export function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  const causeText = cause instanceof Error ? cause.message : typeof cause === 'string' ? cause : undefined;
  const head = error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  return causeText && !error.message.includes(causeText) ? `${head} (${causeText})` : head;
}
