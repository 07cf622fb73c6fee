import { InvalidArgumentError } from '../../errors/chat-debug-error.js';
import { classifyCallError } from '../../service/classify-error.js';
import { describeError } from '../../logger/logger.js';
import type { Usage } from '../../model/usage.js';
import type { Operation } from '../../model/operation.js';
import { sanitizeJson } from '../../payload/sanitize.js';
import { withStep } from '../../tracer/context.js';
import type { StepSpan } from '../../tracer/spans.js';
import { normalizeAnthropicRequest, normalizeAnthropicResponse } from '../normalize/anthropic-messages.js';
import type { NormalizedRequest } from '../normalize/normalized.js';
import { normalizeChatCompletionRequest, normalizeChatCompletionResponse } from '../normalize/openai-chat.js';
import { normalizeResponsesRequest, normalizeResponsesResponse } from '../normalize/openai-responses.js';
import { errorMessage, normalizeProviderError } from '../normalize/provider-error.js';
import { normalizeUsage } from '../normalize/usage.js';
import { redactJsonValue } from '../../redaction/redact-json.js';
import type { CallScope, InstrumentationOptions } from '../run-scope.js';
import { endOwnedRun, resolveCallScope, validateInstrumentationOptions } from '../run-scope.js';

/** Request/response shapes with built-in normalizers. */
export const MODEL_CALL_SHAPES = ['openai-chat', 'openai-responses', 'anthropic-messages'] as const;

/** One of {@link MODEL_CALL_SHAPES}. */
export type ModelCallShape = (typeof MODEL_CALL_SHAPES)[number];

/** How a model call is recorded. */
export interface ModelCallOptions<Request, Response> extends InstrumentationOptions {
  /**
   * Picks built-in normalizers for the request, response and usage; explicit normalizers win.
   * Without a shape or normalizers, the request and response are stored as JSON snapshots with
   * sensitive keys redacted.
   */
  shape?: ModelCallShape;
  /** The request as stored in `normalized_request`. */
  normalizeRequest?: (request: Request) => unknown;
  /** The response as stored in `normalized_response`. */
  normalizeResponse?: (response: Response) => unknown;
  /** The step's usage. @defaultValue `normalizeUsage(response.usage)`, or the normalized response's `usage` */
  usage?: (response: Response) => Usage | undefined;
  /** The step's error payload. @defaultValue {@link normalizeProviderError} */
  normalizeError?: (error: unknown) => unknown;
  /** Provider name stored on runs made by `create-run`. */
  provider?: string;
  /** @defaultValue 'generate' */
  operation?: Operation;
}

/**
 * Records one call of your own model function as a step of the active run (or of a run made for
 * it with `whenNoRun: 'create-run'`): the step is active while `call` runs, so a recording
 * fetch used inside attributes its HTTP attempts to it. Resolution ends the step completed with
 * the normalized response and usage; a throw ends it interrupted (cancellation, deadline) or
 * error, with the normalized error, and is rethrown unchanged. Normalizer failures are logged and
 * never reach the caller.
 *
 * @example
 * ```ts
 * const recordingFetch = createRecordingFetch();
 * const message = await traceModelCall({ tracer, shape: 'anthropic-messages' }, body, (request) =>
 *   recordingFetch('https://api.anthropic.com/v1/messages', { method: 'POST', body: JSON.stringify(request), headers })
 *     .then((response) => response.json()));
 * ```
 */
export async function traceModelCall<Request, Response>(
  options: ModelCallOptions<Request, Response>,
  request: Request,
  call: (request: Request, step: StepSpan | undefined) => Promise<Response>,
): Promise<Response> {
  validateInstrumentationOptions(options, 'traceModelCall');
  return runModelCall(options, request, (req, step) => call(req, step));
}

/**
 * Wraps a `(request, ...rest) => Promise<response>` function so that each call is recorded by
 * {@link traceModelCall}. The wrapper has the same signature and passes arguments, result and
 * errors through unchanged.
 *
 * @example
 * ```ts
 * const generate = wrapModelFunction(myGenerate, { tracer, shape: 'openai-chat' });
 * await tracer.run({ chatId, kind: 'chat_turn' }, () => generate({ model, messages }));
 * ```
 */
export function wrapModelFunction<Request, Response, Rest extends unknown[]>(
  fn: (request: Request, ...rest: Rest) => Promise<Response>,
  options: ModelCallOptions<Request, Response>,
): (request: Request, ...rest: Rest) => Promise<Response> {
  if (typeof fn !== 'function') throw new InvalidArgumentError('fn', `wrapModelFunction needs a function to wrap, got ${fn === null ? 'null' : typeof fn}`);
  validateInstrumentationOptions(options, 'wrapModelFunction');
  return function (this: unknown, request: Request, ...rest: Rest): Promise<Response> {
    return runModelCall(options, request, (req) => fn.call(this, req, ...rest));
  };
}

async function runModelCall<Request, Response>(
  options: ModelCallOptions<Request, Response>,
  request: Request,
  call: (request: Request, step: StepSpan | undefined) => Promise<Response>,
): Promise<Response> {
  const logger = options.tracer.service.logger;
  const normalizers = pickNormalizers(options);
  let requestPayload: unknown;
  try {
    requestPayload = normalizers.request(request);
  } catch (error) {
    logger.warn('chatdebug: request normalization failed; step recorded without it', { error: describeError(error) });
    requestPayload = { normalization_error: errorMessage(error, { bounds: options.bounds }) };
  }
  let scope: CallScope | undefined;
  try {
    const normalized = isNormalizedRequest(requestPayload) ? requestPayload : undefined;
    scope = resolveCallScope(options, { ...(options.provider ? { provider: options.provider } : {}), ...(normalized ? { request: normalized } : {}) });
  } catch (error) {
    logger.warn('chatdebug: could not resolve the run of a call; call not traced', { error: describeError(error) });
  }
  if (!scope) return call(request, undefined);
  const step = scope.run.startStep({ operation: options.operation ?? 'generate', request: requestPayload });
  let response: Response;
  try {
    response = await withStep(step, () => call(request, step));
  } catch (error) {
    let payload: unknown;
    try {
      payload = (options.normalizeError ?? ((e: unknown) => normalizeProviderError(e, { bounds: options.bounds })))(error);
    } catch (failure) {
      logger.warn('chatdebug: error normalization failed; default error recorded', { error: describeError(failure) });
      payload = normalizeProviderError(error, { bounds: options.bounds });
    }
    step.end({ status: classifyCallError(error), error: payload });
    endOwnedRun(scope, step);
    throw error;
  }
  try {
    if (response === undefined || response === null) {
      step.end({ status: 'error', error: { message: 'model call returned no result', type: 'NilModelResult' } });
    } else {
      const normalized = normalizers.response(response);
      step.end({ status: 'completed', response: normalized, usage: normalizers.usage(response, normalized) });
    }
  } catch (error) {
    logger.warn('chatdebug: response normalization failed; step ended without it', { error: describeError(error) });
    step.end({ status: 'completed', metadata: { normalization_error: errorMessage(error, { bounds: options.bounds }) } });
  }
  endOwnedRun(scope, step);
  return response;
}

interface Normalizers<Request, Response> {
  request(request: Request): unknown;
  response(response: Response): unknown;
  usage(response: Response, normalized: unknown): Usage | undefined;
}

function pickNormalizers<Request, Response>(options: ModelCallOptions<Request, Response>): Normalizers<Request, Response> {
  const bounds = options.bounds;
  const snapshot = (value: unknown): unknown => redactJsonValue(sanitizeJson(value, { maxJsonBytes: bounds?.maxBodyBytes ?? 50_000 }));
  const builtIn = (() => {
    switch (options.shape) {
      case 'openai-chat':
        return { request: normalizeChatCompletionRequest, response: normalizeChatCompletionResponse };
      case 'openai-responses':
        return { request: normalizeResponsesRequest, response: normalizeResponsesResponse };
      case 'anthropic-messages':
        return { request: normalizeAnthropicRequest, response: normalizeAnthropicResponse };
      default:
        return undefined;
    }
  })();
  return {
    request: options.normalizeRequest ?? ((request) => (builtIn ? builtIn.request(request, { bounds }) : snapshot(request))),
    response: options.normalizeResponse ?? ((response) => (builtIn ? builtIn.response(response, { bounds }) : snapshot(response))),
    usage: (response, normalized) => {
      if (options.usage) return options.usage(response);
      const fromResponse = (normalized as { usage?: unknown } | null)?.usage;
      return normalizeUsage(fromResponse) ?? normalizeUsage((response as { usage?: unknown } | null)?.usage);
    },
  };
}

function isNormalizedRequest(value: unknown): value is NormalizedRequest {
  return typeof value === 'object' && value !== null && Array.isArray((value as { messages?: unknown }).messages);
}
