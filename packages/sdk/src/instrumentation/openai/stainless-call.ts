import { classifyCallError } from '../../service/classify-error.js';
import type { Logger } from '../../logger/logger.js';
import { describeError } from '../../logger/logger.js';
import type { JsonObject } from '../../model/json.js';
import type { PayloadBounds } from '../../payload/bounds.js';
import { withStep } from '../../tracer/context.js';
import type { StreamObserver } from '../../tracer/record-stream.js';
import type { StepSpan } from '../../tracer/spans.js';
import type { Tracer } from '../../tracer/tracer.js';
import type { NormalizedRequest, NormalizedResponse } from '../normalize/normalized.js';
import { errorMessage, normalizeProviderError } from '../normalize/provider-error.js';
import type { CallScope, InstrumentationOptions } from '../run-scope.js';
import { endOwnedRun, resolveCallScope } from '../run-scope.js';

/**
 * The structural subset of a Stainless-generated client's `APIPromise` (the `openai` and
 * `@anthropic-ai/sdk` packages) that the wrapper relies on.
 */
export interface APIPromiseLike<T> extends PromiseLike<T> {
  _thenUnwrap<U>(transform: (data: T, props: unknown) => U): APIPromiseLike<U>;
  asResponse(): Promise<Response>;
  withResponse(): Promise<{ data: T; response: Response; request_id: string | null }>;
}

/** The structural subset of a Stainless `Stream`. */
interface StreamLike extends AsyncIterable<unknown> {
  controller: AbortController;
  constructor: unknown;
}

type StreamConstructor = new (iterator: () => AsyncIterator<unknown>, controller: AbortController, client?: unknown) => StreamLike;

/** How one API (chat completions, responses...) is normalized. */
export interface ApiAdapter {
  provider: string;
  normalizeRequest(request: unknown, bounds: PayloadBounds | undefined): NormalizedRequest;
  normalizeResponse(response: unknown, bounds: PayloadBounds | undefined): NormalizedResponse;
  createObserver(): StreamObserver<unknown>;
}

/** What a traced call needs from the wrapper. */
export interface TracedCallContext {
  options: InstrumentationOptions;
  adapter: ApiAdapter;
  client: unknown;
}

// A stream that the caller drops without reading it (nor closing it) would leave a run created
// for the call open, and heartbeating, forever: once the stream is garbage-collected, its step
// ends interrupted and the run with it. A consumer that is reading holds only the iterator
// (`for await` does): each iterator keeps its stream alive through `streamOf`, so a stream
// being read is never taken for a dropped one.
const droppedStreams = new FinalizationRegistry<{ step: StepSpan; scope: CallScope }>(({ step, scope }) => {
  if (!step.ended) step.end({ status: 'interrupted', metadata: { stream_dropped_unread: true } });
  endOwnedRun(scope, step);
});
const streamOf = new WeakMap<AsyncIterator<unknown>, object>();

function isAPIPromise(value: unknown): value is APIPromiseLike<unknown> {
  const p = value as Partial<APIPromiseLike<unknown>> | null;
  return typeof p === 'object' && p !== null && typeof p.then === 'function' && typeof p._thenUnwrap === 'function' && typeof p.asResponse === 'function';
}

function isStream(value: unknown): value is StreamLike {
  const s = value as Partial<StreamLike> | null;
  return typeof s === 'object' && s !== null && typeof s[Symbol.asyncIterator] === 'function' && s.controller instanceof AbortController;
}

/**
 * Runs one `create(params)` call of a Stainless client as a step: `invoke` runs with the step
 * active (so the recording fetch attributes the HTTP attempts to it). Non-stream results end
 * the step completed with the normalized response and usage; stream results come back as a
 * Stream of the same class whose iteration finalizes the step (see `Tracer.recordStream`);
 * failures end it as error (or interrupted for a cancellation) with the normalized error.
 */
export function traceStainlessCall(context: TracedCallContext, params: unknown, invoke: () => unknown): unknown {
  const { options, adapter } = context;
  const tracer = options.tracer;
  const logger = tracer.service.logger;
  let request: NormalizedRequest | undefined;
  let requestPayload: unknown;
  try {
    request = adapter.normalizeRequest(params, options.bounds);
    requestPayload = request;
  } catch (error) {
    logger.warn('chatdebug: request normalization failed; step recorded without it', { error: describeError(error) });
    requestPayload = { normalization_error: errorMessage(error, { bounds: options.bounds }) };
  }
  let scope: CallScope | undefined;
  try {
    scope = resolveCallScope(options, { provider: adapter.provider, request });
  } catch (error) {
    logger.warn('chatdebug: could not resolve the run of a call; call not traced', { error: describeError(error) });
  }
  if (!scope) return invoke();
  const streaming = (params as { stream?: unknown } | null)?.stream === true;
  const step = scope.run.startStep({ operation: streaming ? 'stream' : 'generate', request: requestPayload });
  if (!step.isRecording) {
    endOwnedRun(scope, undefined, 'completed');
    return invoke();
  }
  const call = new TracedCall(context, tracer, logger, scope, step);
  let result: unknown;
  try {
    result = withStep(step, invoke);
  } catch (error) {
    call.fail(error);
    throw error;
  }
  if (!isAPIPromise(result)) return call.trackPlain(result, streaming);
  return call.trackAPIPromise(result, streaming);
}

class TracedCall {
  readonly #context: TracedCallContext;
  readonly #tracer: Tracer;
  readonly #logger: Logger;
  readonly #scope: CallScope;
  readonly #step: StepSpan;
  readonly #streams = new WeakMap<object, unknown>();

  constructor(context: TracedCallContext, tracer: Tracer, logger: Logger, scope: CallScope, step: StepSpan) {
    this.#context = context;
    this.#tracer = tracer;
    this.#logger = logger;
    this.#scope = scope;
    this.#step = step;
  }

  get #bounds(): PayloadBounds | undefined {
    return this.#context.options.bounds;
  }

  trackAPIPromise(original: APIPromiseLike<unknown>, streaming: boolean): APIPromiseLike<unknown> {
    // Errors before a usable response (HTTP errors after retries, connection errors, aborts):
    // observed without parsing the body, so `asResponse()` users keep an unread body.
    original.asResponse().then(undefined, (error: unknown) => this.fail(error));
    let wrapped: APIPromiseLike<unknown>;
    try {
      wrapped = original._thenUnwrap((data) => (streaming ? this.wrapStream(data) : this.succeed(data)));
    } catch (error) {
      this.#logger.warn('chatdebug: could not wrap an APIPromise; the call is traced as a plain promise', { error: describeError(error) });
      return this.trackPlain(original, streaming) as APIPromiseLike<unknown>;
    }
    let viaWithResponse = false;
    let observed = false;
    const asResponse = wrapped.asResponse;
    const withResponse = wrapped.withResponse;
    const then = wrapped.then;
    try {
      Object.defineProperties(wrapped, {
        then: {
          configurable: true,
          writable: true,
          value: (onFulfilled?: (value: unknown) => unknown, onRejected?: (reason: unknown) => unknown) => {
            if (!observed) {
              observed = true;
              // A body that fails to parse never reaches the transform: end the step here.
              then.call(wrapped, undefined, (error: unknown) => {
                if (!this.#step.ended) this.fail(error);
              });
            }
            return then.call(wrapped, onFulfilled, onRejected);
          },
        },
        asResponse: {
          configurable: true,
          writable: true,
          value: (): Promise<Response> => {
            const promise = asResponse.call(wrapped);
            // The caller reads the raw body itself: the step records attempts, not a parsed response.
            if (!viaWithResponse) promise.then(() => this.raw(), () => undefined);
            return promise;
          },
        },
        withResponse: {
          configurable: true,
          writable: true,
          value: () => {
            viaWithResponse = true;
            return withResponse.call(wrapped);
          },
        },
      });
    } catch (error) {
      this.#logger.warn('chatdebug: could not wrap asResponse/withResponse', { error: describeError(error) });
    }
    return wrapped;
  }

  trackPlain(result: unknown, streaming: boolean): unknown {
    if (typeof (result as PromiseLike<unknown> | null)?.then !== 'function') {
      return streaming ? this.wrapStream(result) : this.succeed(result);
    }
    return Promise.resolve(result).then(
      (data) => (streaming ? this.wrapStream(data) : this.succeed(data)),
      (error: unknown) => {
        this.fail(error);
        throw error;
      },
    );
  }

  succeed(data: unknown): unknown {
    const step = this.#step;
    try {
      if (data === undefined || data === null) {
        step.end({ status: 'error', error: { message: 'model call returned no result', type: 'NilModelResult' } });
      } else {
        const response = this.#context.adapter.normalizeResponse(data, this.#bounds);
        step.end({ status: 'completed', response, usage: response.usage });
      }
    } catch (error) {
      this.#logger.warn('chatdebug: response normalization failed; step ended without it', { error: describeError(error) });
      step.end({ status: 'completed', metadata: { normalization_error: errorMessage(error, { bounds: this.#bounds }) } });
    }
    endOwnedRun(this.#scope, step);
    return data;
  }

  fail(error: unknown): void {
    const step = this.#step;
    try {
      step.end({ status: classifyCallError(error), error: normalizeProviderError(error, { bounds: this.#bounds }) });
    } catch (failure) {
      this.#logger.warn('chatdebug: recording a call error failed', { error: describeError(failure) });
    }
    endOwnedRun(this.#scope, step);
  }

  raw(): void {
    if (this.#step.ended) return;
    const metadata: JsonObject = { raw_response: true };
    this.#step.end({ status: 'completed', metadata });
    endOwnedRun(this.#scope, this.#step);
  }

  /** Wraps a Stainless Stream so that iterating it finalizes the step; same class, same controller. */
  wrapStream(data: unknown): unknown {
    if (typeof data !== 'object' || data === null || typeof (data as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] !== 'function') {
      return this.succeed(data);
    }
    const cached = this.#streams.get(data);
    if (cached !== undefined) return cached;
    let wrapped: unknown;
    try {
      wrapped = isStream(data) ? this.#buildStream(data) : this.#tracedIterable(data as AsyncIterable<unknown>);
    } catch (error) {
      this.#logger.warn('chatdebug: could not wrap a stream; it is returned untraced', { error: describeError(error) });
      this.#step.end({ status: 'completed', metadata: { stream_untraced: true } });
      endOwnedRun(this.#scope, this.#step);
      wrapped = data;
    }
    this.#streams.set(data, wrapped);
    if (this.#scope.owned && typeof wrapped === 'object' && wrapped !== null) droppedStreams.register(wrapped, { step: this.#step, scope: this.#scope });
    return wrapped;
  }

  /** Any other async iterable: traced, returned as a plain async iterable. */
  #tracedIterable(source: AsyncIterable<unknown>): AsyncIterable<unknown> {
    const bounds = this.#bounds;
    const traced = this.#tracer.recordStream(this.#step, source, { observe: this.#context.adapter.createObserver(), ...(bounds ? { bounds } : {}) });
    const settle = settleWhenEnded(this.#scope, this.#step);
    const iterable: AsyncIterable<unknown> = {
      [Symbol.asyncIterator]: () => {
        const inner = traced[Symbol.asyncIterator]();
        const iterator: AsyncIterator<unknown> = {
          next: () => after(inner.next(), settle),
          return: (value?: unknown) => after(inner.return ? inner.return(value) : Promise.resolve({ done: true, value }), settle),
        };
        streamOf.set(iterator, iterable);
        return iterator;
      },
    };
    return iterable;
  }

  #buildStream(stream: StreamLike): unknown {
    const step = this.#step;
    const bounds = this.#bounds;
    const traced = this.#tracer.recordStream(step, stream, {
      observe: this.#context.adapter.createObserver(),
      ...(bounds ? { bounds } : {}),
    });
    const inner = traced[Symbol.asyncIterator]();
    const settle = settleWhenEnded(this.#scope, step);
    const pulls = { inFlight: 0 };
    const iterator: AsyncIterator<unknown> = {
      next: () => {
        pulls.inFlight++;
        return after(inner.next(), () => {
          pulls.inFlight--;
          settle();
        });
      },
      return: (value?: unknown) => after(inner.return ? inner.return(value) : Promise.resolve({ done: true, value }), settle),
      throw: (error?: unknown) => after(inner.throw ? inner.throw(error) : Promise.reject(error), settle),
    };
    closeOnAbort(stream.controller.signal, new WeakRef(iterator), pulls, step, settle, this.#logger);
    let handedOut = false;
    const factory = (): AsyncIterator<unknown> => {
      if (!handedOut) {
        handedOut = true;
        return iterator;
      }
      return {
        next: () => Promise.reject(new Error('Cannot iterate over a consumed stream, use `.tee()` to split the stream.')),
      };
    };
    let rebuilt: object;
    try {
      const Ctor = stream.constructor as StreamConstructor;
      rebuilt = new Ctor(factory, stream.controller, this.#context.client) as object;
    } catch (error) {
      // Not constructible the Stainless way: hand back a traced iterable with the same controller.
      this.#logger.warn('chatdebug: could not rebuild the stream class; a plain traced stream is returned', { error: describeError(error) });
      rebuilt = { controller: stream.controller, [Symbol.asyncIterator]: factory };
    }
    streamOf.set(iterator, rebuilt);
    return rebuilt;
  }
}

/**
 * Ends the owned run once the step has ended. Made outside the stream builders on purpose: a
 * closure made inside them would share their scope, and with it a strong path to the stream.
 */
function settleWhenEnded(scope: CallScope, step: StepSpan): () => void {
  return () => {
    if (step.ended) endOwnedRun(scope, step);
  };
}

/**
 * `stream.controller.abort()` ends the stream: finalize now, with what was received, even if the
 * consumer never pulls again. A pull in flight settles by itself (the stream also aborts itself
 * when it fails, and that error must win). Built apart from the stream, holding its iterator
 * weakly: the request keeps the signal alive while the socket is open, and must not keep the
 * stream alive through it (a dropped stream has to be collectable, see `droppedStreams`).
 */
function closeOnAbort(
  signal: AbortSignal,
  iterator: WeakRef<AsyncIterator<unknown>>,
  pulls: { inFlight: number },
  step: StepSpan,
  settle: () => void,
  logger: Logger,
): void {
  const onAbort = (): void => {
    if (step.ended) return settle();
    if (pulls.inFlight > 0) return;
    void iterator
      .deref()
      ?.return?.()
      .catch((error: unknown) => logger.debug('chatdebug: stream close after abort failed', { error: describeError(error) }));
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
}

async function after<T>(promise: Promise<T>, settle: () => void): Promise<T> {
  try {
    return await promise;
  } finally {
    settle();
  }
}
