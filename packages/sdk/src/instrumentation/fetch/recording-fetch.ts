import type { Logger } from '../../logger/logger.js';
import { consoleLogger, describeError } from '../../logger/logger.js';
import type { PayloadBounds } from '../../payload/bounds.js';
import { resolvePayloadBounds } from '../../payload/bounds.js';
import { activeStep } from '../../tracer/context.js';
import type { AttemptSink } from '../../tracer/spans.js';
import { TRUNCATED } from '../redaction/markers.js';
import { redactHeaders } from '../redaction/redact-headers.js';
import { redactUrl, urlPath } from '../redaction/redact-url.js';
import type { BodyKind } from './body-kind.js';
import { bodyKindOf, renderBody } from './body-kind.js';
import { PendingAttempt } from './pending-attempt.js';

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

// Event-stream bodies still being read, per sink, so the sink's owner can settle them when the
// step ends (a consumer that stops reading without cancelling still yields its attempt).
const openStreams = new WeakMap<AttemptSink, Set<PendingAttempt>>();

/**
 * Records, as failed, the event-stream (SSE) attempts of `sink` whose body is still open: for
 * callers that know the stream will not be read any further (its step has ended). Internal.
 */
export function settleOpenStreams(sink: AttemptSink): void {
  const open = openStreams.get(sink);
  if (!open) return;
  openStreams.delete(sink);
  for (const pending of open) pending.stepEnded();
}

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
    requestBody: captureRequestBody(init?.body, headers.get('content-type'), bounds.maxBodyBytes),
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
        guard(() => pending.cancelled());
        await reader.cancel(reason);
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
  if (kind === 'sse') {
    let open = openStreams.get(sink);
    if (!open) openStreams.set(sink, (open = new Set()));
    const set = open;
    set.add(pending);
    pending.onSettled(() => set.delete(pending));
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

function renderBytes(bytes: Uint8Array, kind: BodyKind, maxBytes: number): string {
  if (kind === 'binary') return renderBody(bytes, bytes.byteLength, true, kind, maxBytes);
  // A request body over the bound is replaced whole (§6.6).
  if (bytes.byteLength > maxBytes) return TRUNCATED;
  return renderBody(bytes, bytes.byteLength, true, kind, maxBytes);
}
