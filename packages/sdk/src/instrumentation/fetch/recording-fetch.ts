import type { Logger } from '../../logger/logger.js';
import { consoleLogger, describeError } from '../../logger/logger.js';
import type { PayloadBounds } from '../../payload/bounds.js';
import { resolvePayloadBounds } from '../../payload/bounds.js';
import type { EndHookable } from '../../tracer/context.js';
import { BEFORE_END, activeStep } from '../../tracer/context.js';
import type { AttemptSink } from '../../tracer/spans.js';
import { TRUNCATED } from '../../redaction/markers.js';
import { redactHeaders } from '../../redaction/redact-headers.js';
import { redactUrl, urlPath } from '../../redaction/redact-url.js';
import type { BodyKind } from './body-kind.js';
import { bodyKindOf, renderBody } from './body-kind.js';
import { PendingAttempt } from './pending-attempt.js';
import { withTimeout } from '../../service/timeout.js';

/** The `fetch` signature the recording fetch wraps and implements. */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Options of {@link createRecordingFetch}. */
export interface RecordingFetchOptions {
  /**
   * The fetch that really sends requests.
   * @defaultValue `globalThis.fetch`, looked up at each call
   */
  fetch?: FetchFunction;
  /** Body and text bounds (defaults: 50,000 bytes of body, 10,000 runes of error text). */
  bounds?: PayloadBounds;
  /**
   * Where attempts go; nothing is recorded when it returns undefined.
   * @defaultValue the step active in the caller's async context (`activeStep()`)
   */
  sink?: () => AttemptSink | undefined;
  /**
   * Where failures of the recording itself are reported (never thrown into the request).
   * @defaultValue consoleLogger
   */
  logger?: Logger;
}

/** Counters of one recording fetch. */
export interface RecordingFetchStats {
  /** Requests made inside an active step. */
  requests: number;
  /** Attempts handed to a step. */
  recorded: number;
  /** Attempts lost because recording failed (logged). */
  recordingFailures: number;
}

/** A fetch made by {@link createRecordingFetch}. */
export interface RecordingFetch extends FetchFunction {
  /** Counters since creation. */
  stats(): RecordingFetchStats;
  /** The fetch it wraps (`undefined`: the global fetch at call time). */
  readonly inner: FetchFunction | undefined;
}

const RECORDING_FETCH = Symbol.for('@chatdebug/recording-fetch');

/** True for a fetch made by {@link createRecordingFetch} (from any copy of this package). */
export function isRecordingFetch(value: unknown): value is RecordingFetch {
  return typeof value === 'function' && (value as unknown as Record<symbol, unknown>)[RECORDING_FETCH] === true;
}

// Bodies garbage-collected before being read to the end are recorded as abandoned.
const abandonedBodies = new FinalizationRegistry<PendingAttempt>((pending) => pending.abandoned());

/**
 * Makes a `fetch` that records every HTTP round trip made inside an active step as one of its
 * attempts (§6.6): method, redacted URL and path, redacted headers, the request body when it is
 * replayable (string, URLSearchParams, ArrayBuffer, typed array, Blob), the response status,
 * headers and body (teed without disturbing the reader; JSON redacted, NDJSON per line, SSE and
 * text verbatim; bounded), error, timing including the body read, and retry classification.
 *
 * Outside a step it is a pure pass-through: the inner fetch's own promise and Response come back
 * untouched. Inside one, the request is sent exactly as given; the Response handed back is a copy
 * whose body is read through a recorder. Recording never throws into the caller: failures are
 * logged and counted.
 *
 * @example
 * ```ts
 * const client = new OpenAI({ fetch: createRecordingFetch() });
 * await tracer.run({ chatId, kind: 'chat_turn' }, () =>
 *   tracer.traceCall({}, () => client.chat.completions.create({ model, messages })));
 * ```
 */
export function createRecordingFetch(options: RecordingFetchOptions = {}): RecordingFetch {
  const bounds = resolvePayloadBounds(options.bounds);
  const resolveSink = options.sink ?? activeStep;
  const logger = options.logger ?? consoleLogger;
  const inner = options.fetch;
  const stats: RecordingFetchStats = { requests: 0, recorded: 0, recordingFailures: 0 };
  const onRecorded = (ok: boolean): void => {
    if (ok) stats.recorded++;
    else stats.recordingFailures++;
  };

  const recordingFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const send = inner ?? globalThis.fetch;
    let sink: AttemptSink | undefined;
    try {
      sink = resolveSink();
    } catch (error) {
      logger.warn('chatdebug: the attempt sink resolver threw; request not recorded', { error: describeError(error) });
    }
    if (!sink || (sink as { isRecording?: boolean }).isRecording === false) return send(input, init);
    stats.requests++;
    let pending: PendingAttempt | undefined;
    let signal: AbortSignal | undefined;
    let method = 'GET';
    try {
      ({ pending, signal, method } = begin(sink, input, init, bounds, logger, onRecorded));
    } catch (error) {
      stats.recordingFailures++;
      logger.warn('chatdebug: could not start recording an HTTP attempt; request not recorded', { error: describeError(error) });
    }
    if (!pending) return send(input, init);
    const attempt = pending;
    const activeSink = sink;
    let sent: Promise<Response>;
    try {
      sent = send(input, init);
    } catch (error) {
      attempt.transportFailed(error);
      throw error;
    }
    return sent.then(
      (response) => observeResponse(activeSink, attempt, response, method, signal, logger),
      (error: unknown) => {
        attempt.transportFailed(error);
        throw error;
      },
    );
  };
  Object.defineProperty(recordingFetch, RECORDING_FETCH, { value: true });
  return Object.assign(recordingFetch, { stats: () => ({ ...stats }), inner });
}

function begin(
  sink: AttemptSink,
  input: string | URL | Request,
  init: RequestInit | undefined,
  bounds: Required<PayloadBounds>,
  logger: Logger,
  onRecorded: (ok: boolean) => void,
): { pending: PendingAttempt; signal: AbortSignal | undefined; method: string } {
  const request = typeof Request !== 'undefined' && input instanceof Request ? input : undefined;
  const rawUrl = request ? request.url : typeof input === 'string' ? input : (input as URL).href;
  const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
  const headers = new Headers(init?.headers ?? request?.headers);
  const number = sink.nextAttemptNumber();
  const startedMillis = sink.clock.nowMillis();
  const pending = new PendingAttempt({
    sink,
    number,
    method,
    url: redactUrl(rawUrl),
    path: urlPath(rawUrl),
    startedMillis,
    requestHeaders: redactHeaders(headers),
    requestBody:
      init?.body === undefined && request?.body
        ? captureRequestObjectBody(request, headers.get('content-type'), bounds.maxBodyBytes)
        : captureRequestBody(init?.body, headers.get('content-type'), bounds.maxBodyBytes),
    maxBodyBytes: bounds.maxBodyBytes,
    maxTextRunes: bounds.maxTextRunes,
    logger,
    onRecorded,
  });
  return { pending, signal: init?.signal ?? request?.signal ?? undefined, method };
}

const NO_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

function observeResponse(
  sink: AttemptSink,
  pending: PendingAttempt,
  response: Response,
  method: string,
  signal: AbortSignal | undefined,
  logger: Logger,
): Response {
  try {
    const headers = response.headers;
    const encoding = headers.get('content-encoding');
    const lengthHeader = headers.get('content-length');
    const length = lengthHeader === null ? Number.NaN : Number(lengthHeader);
    const kind = bodyKindOf(headers.get('content-type'));
    pending.responded({
      status: response.status,
      headers,
      redactedHeaders: redactHeaders(headers),
      kind,
      knownLength: Number.isInteger(length) && length >= 0 && (encoding === null || encoding === 'identity') ? length : undefined,
    });
    if (response.body === null || method === 'HEAD' || NO_BODY_STATUSES.has(response.status)) {
      pending.noBody();
      return response;
    }
    if (response.bodyUsed) {
      pending.cancelled();
      return response;
    }
    return teeResponse(pending, response, signal, sink, kind);
  } catch (error) {
    logger.warn('chatdebug: could not observe an HTTP response; attempt recorded without its body', { error: describeError(error) });
    pending.noBody();
    return response;
  }
}

function teeResponse(pending: PendingAttempt, response: Response, signal: AbortSignal | undefined, sink: AttemptSink, kind: BodyKind): Response {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const guard = (fn: () => void): void => {
    try {
      fn();
    } catch {
      // The recorder never throws into the reader; PendingAttempt logs its own failures.
    }
  };
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let result: Awaited<ReturnType<typeof reader.read>>;
        try {
          result = await reader.read();
        } catch (error) {
          guard(() => pending.errored(error));
          throw error;
        }
        if (result.done) {
          guard(() => pending.eof());
          controller.close();
          return;
        }
        guard(() => pending.chunk(result.value));
        controller.enqueue(result.value);
      },
      async cancel(reason) {
        if (kind === 'sse' || pending.settled || pending.completeSoFar()) {
          guard(() => pending.cancelled());
          await reader.cancel(reason);
          return;
        }
        // A client that drops an error body before retrying (openai does, for a 429) would
        // leave the attempt without it: keep what already arrived, briefly, in the background.
        void drainThenCancel(pending, reader, sink, reason, guard);
      },
    },
    { highWaterMark: 0 },
  );
  if (signal) {
    const onAbort = (): void => guard(() => pending.aborted());
    if (signal.aborted) onAbort();
    else {
      signal.addEventListener('abort', onAbort, { once: true });
      pending.onSettled(() => signal.removeEventListener('abort', onAbort));
    }
  }
  // An event stream the consumer stops reading without cancelling still yields its attempt:
  // when its step ends, the body is recorded as it stands (a no-op if it settled already).
  if (kind === 'sse') {
    const remove = (sink as EndHookable)[BEFORE_END]?.(() => pending.stepEnded());
    if (remove) pending.onSettled(remove);
  }
  abandonedBodies.register(body, pending, pending);
  pending.onSettled(() => abandonedBodies.unregister(pending));
  const copy = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  // What the constructor cannot set: keep what the caller would have seen on the original.
  Object.defineProperties(copy, {
    url: { value: response.url, enumerable: false, configurable: true },
    redirected: { value: response.redirected, enumerable: false, configurable: true },
    type: { value: response.type, enumerable: false, configurable: true },
  });
  return copy;
}

/** How much of a cancelled body is still read for the record, and for how long at most. */
const DRAIN_LIMIT_BYTES = 64 * 1024;
const DRAIN_MILLIS = 250;

async function drainThenCancel(
  pending: PendingAttempt,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  sink: AttemptSink,
  reason: unknown,
  guard: (fn: () => void) => void,
): Promise<void> {
  try {
    const ended = await withTimeout(sink.clock, DRAIN_MILLIS, 'draining a cancelled response body', async () => {
      for (let drained = 0; drained <= DRAIN_LIMIT_BYTES; ) {
        const result = await reader.read();
        if (result.done) return true;
        drained += result.value.byteLength;
        guard(() => pending.chunk(result.value));
      }
      return false;
    });
    guard(() => (ended ? pending.eof() : pending.cancelled()));
  } catch {
    guard(() => pending.cancelled());
  } finally {
    await reader.cancel(reason).catch(() => undefined);
  }
}

/**
 * Renders a replayable request body (string, URLSearchParams, ArrayBuffer, typed array, Blob);
 * undefined for bodies that can only be read once (streams, FormData, async iterables).
 */
function captureRequestBody(body: unknown, contentType: string | null, maxBytes: number): string | Promise<string | undefined> | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return renderBytes(Buffer.from(body, 'utf8'), bodyKindOf(contentType), maxBytes);
  if (body instanceof URLSearchParams) {
    return renderBytes(Buffer.from(body.toString(), 'utf8'), contentType ? bodyKindOf(contentType) : 'form', maxBytes);
  }
  if (body instanceof ArrayBuffer) return renderBytes(new Uint8Array(body), bodyKindOf(contentType), maxBytes);
  if (ArrayBuffer.isView(body)) return renderBytes(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), bodyKindOf(contentType), maxBytes);
  if (typeof Blob !== 'undefined' && body instanceof Blob) {
    const kind = bodyKindOf(contentType ?? (body.type === '' ? null : body.type));
    if (body.size > maxBytes) return kind === 'binary' ? `[binary ${body.size} bytes]` : TRUNCATED;
    return body.arrayBuffer().then((buffer) => renderBytes(new Uint8Array(buffer), kind, maxBytes));
  }
  return undefined;
}

/**
 * The body of a `Request` object (ky-style clients send those): read from a clone, at most one
 * byte past the bound, so the request itself is sent untouched and a large upload is not buffered.
 */
async function captureRequestObjectBody(request: Request, contentType: string | null, maxBytes: number): Promise<string | undefined> {
  const kind = bodyKindOf(contentType);
  const reader = (request.clone().body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size <= maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    if (size > maxBytes) void reader.cancel().catch(() => undefined);
  }
  if (size > maxBytes) return kind === 'binary' ? `[binary, over ${maxBytes} bytes]` : TRUNCATED;
  return renderBytes(Buffer.concat(chunks), kind, maxBytes);
}

function renderBytes(bytes: Uint8Array, kind: BodyKind, maxBytes: number): string {
  if (kind === 'binary') return renderBody(bytes, bytes.byteLength, true, kind, maxBytes);
  // A request body over the bound is replaced whole (§6.6).
  if (bytes.byteLength > maxBytes) return TRUNCATED;
  return renderBody(bytes, bytes.byteLength, true, kind, maxBytes);
}
