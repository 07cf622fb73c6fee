import { InvalidArgumentError } from '../../errors/chat-debug-error.js';
import { describeError } from '../../logger/logger.js';
import { createRecordingFetch, isRecordingFetch } from '../fetch/recording-fetch.js';
import type { FetchFunction } from '../fetch/recording-fetch.js';
import { createChatCompletionChunkObserver, normalizeChatCompletionRequest, normalizeChatCompletionResponse } from '../normalize/openai-chat.js';
import { createResponsesEventObserver, normalizeResponsesRequest, normalizeResponsesResponse } from '../normalize/openai-responses.js';
import type { InstrumentationOptions } from '../run-scope.js';
import { validateInstrumentationOptions } from '../run-scope.js';
import type { ApiAdapter, TracedCallContext } from './stainless-call.js';
import { traceStainlessCall } from './stainless-call.js';

/** Options of {@link instrumentOpenAI}. */
export interface InstrumentOpenAIOptions extends InstrumentationOptions {
  /**
   * Replace the client's `fetch` with a recording fetch wrapping it, so the HTTP attempts of
   * each call (retries included) land in its step. Set false when the client was built with
   * `fetch: createRecordingFetch()` already (that is detected too) or attempts are not wanted.
   * @defaultValue true
   */
  recordAttempts?: boolean;
  /**
   * The provider name stored on runs created by `create-run`.
   * @defaultValue 'openai'
   */
  provider?: string;
}

/** The structural shape of the `openai` client parts that are instrumented. */
interface OpenAIClientShape {
  fetch?: unknown;
  chat?: { completions?: { create?: unknown } };
  responses?: { create?: unknown };
}

type CreateFunction = (this: unknown, ...args: unknown[]) => unknown;

const STATE = Symbol.for('@chatdebug/instrument-openai');

interface InstrumentState {
  context: { options: InstrumentOpenAIOptions; client: unknown };
}

const chatAdapter = (provider: string): ApiAdapter => ({
  provider,
  normalizeRequest: (request, bounds) => normalizeChatCompletionRequest(request, { bounds }),
  normalizeResponse: (response, bounds) => normalizeChatCompletionResponse(response, { bounds }),
  createObserver: createChatCompletionChunkObserver,
});

const responsesAdapter = (provider: string): ApiAdapter => ({
  provider,
  normalizeRequest: (request, bounds) => normalizeResponsesRequest(request, { bounds }),
  normalizeResponse: (response, bounds) => normalizeResponsesResponse(response, { bounds }),
  createObserver: createResponsesEventObserver,
});

/**
 * Instruments an `openai` client (v4 to v6; typed structurally, `openai` is not a dependency)
 * in place and returns it: every `chat.completions.create` and `responses.create` call,
 * streaming or not, becomes a step of the active run with its normalized request, response,
 * usage, HTTP attempts (retries included) and error. Helpers built on them
 * (`chat.completions.parse`, `.stream`, `runTools`, `responses.parse`, `.stream`) are traced
 * through them. Without an active run the call passes through, or with `whenNoRun: 'create-run'`
 * runs inside a `chat_turn` run of its own.
 *
 * What comes back keeps the client's types and behaviour: an `APIPromise`, whose
 * `withResponse()` works as before and whose `asResponse()` records the step (with its attempts)
 * without a parsed response; streams are the same `Stream` class, with `controller`, `tee()`
 * and `toReadableStream()`. Calling it again on the same client only replaces the options.
 *
 * @example
 * ```ts
 * const openai = instrumentOpenAI(new OpenAI(), { tracer });
 * await tracer.run({ chatId, kind: 'chat_turn' }, async () => {
 *   const completion = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
 * });
 * ```
 */
export function instrumentOpenAI<Client extends object>(client: Client, options: InstrumentOpenAIOptions): Client {
  if (typeof client !== 'object' || client === null) throw new InvalidArgumentError('client', 'instrumentOpenAI needs an OpenAI client (new OpenAI())');
  validateInstrumentationOptions(options, 'instrumentOpenAI');
  const target = client as Client & OpenAIClientShape & { [STATE]?: InstrumentState };
  const existing = target[STATE];
  if (existing) {
    existing.context.options = options;
    patchFetch(target, options);
    return client;
  }
  const state: InstrumentState = { context: { options, client } };
  Object.defineProperty(target, STATE, { value: state, enumerable: false });
  const provider = (): string => state.context.options.provider ?? 'openai';
  patchCreate(target.chat?.completions, () => ({ options: state.context.options, client, adapter: chatAdapter(provider()) }));
  patchCreate(target.responses, () => ({ options: state.context.options, client, adapter: responsesAdapter(provider()) }));
  patchFetch(target, options);
  return client;
}

function patchCreate(resource: { create?: unknown } | undefined, context: () => TracedCallContext): void {
  if (!resource || typeof resource.create !== 'function') return;
  const original = resource.create as CreateFunction;
  const traced = function (this: unknown, ...args: unknown[]): unknown {
    let ctx: TracedCallContext;
    try {
      ctx = context();
    } catch {
      return original.apply(this, args);
    }
    return traceStainlessCall(ctx, args[0], () => original.apply(this, args));
  };
  Object.defineProperty(resource, 'create', { value: traced, configurable: true, writable: true, enumerable: false });
}

function patchFetch(client: OpenAIClientShape, options: InstrumentOpenAIOptions): void {
  if (options.recordAttempts === false) return;
  const current = client.fetch;
  if (typeof current !== 'function' || isRecordingFetch(current)) return;
  try {
    client.fetch = createRecordingFetch({
      fetch: current as FetchFunction,
      ...(options.bounds ? { bounds: options.bounds } : {}),
      logger: options.tracer.service.logger,
    });
  } catch (error) {
    options.tracer.service.logger.warn('chatdebug: could not install the recording fetch on the client', { error: describeError(error) });
  }
}
