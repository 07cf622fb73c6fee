import type { Usage } from '../../model/usage.js';
import { num, rec } from './normalized.js';

/**
 * Normalizes a provider usage object into `{ input_tokens, output_tokens, total_tokens,
 * reasoning_tokens?, cache_creation_tokens?, cache_read_tokens? }`. Understands the OpenAI chat
 * shape (`prompt_tokens`, `completion_tokens`, `*_tokens_details`), the OpenAI responses shape
 * (`input_tokens`, `output_tokens`, `input_tokens_details.cached_tokens`,
 * `output_tokens_details.reasoning_tokens`), the Anthropic shape (`cache_creation_input_tokens`,
 * `cache_read_input_tokens`; its `input_tokens` excludes cached tokens, so they are added back:
 * `input_tokens` here is always the whole prompt) and already-normalized usage. Optional counters
 * are kept only when non-zero. Returns undefined when nothing numeric is found.
 */
export function normalizeUsage(raw: unknown): Usage | undefined {
  const u = rec(raw);
  if (!u) return undefined;
  const inputDetails = rec(u.input_tokens_details) ?? rec(u.prompt_tokens_details);
  const outputDetails = rec(u.output_tokens_details) ?? rec(u.completion_tokens_details);
  const cacheCreation = num(u.cache_creation_input_tokens) ?? num(u.cache_creation_tokens);
  const anthropicCacheRead = num(u.cache_read_input_tokens);
  const cacheRead = anthropicCacheRead ?? num(inputDetails?.cached_tokens) ?? num(u.cache_read_tokens);
  const isAnthropic = 'cache_creation_input_tokens' in u || 'cache_read_input_tokens' in u;
  let input = num(u.prompt_tokens) ?? num(u.input_tokens);
  if (isAnthropic && input !== undefined) input += (cacheCreation ?? 0) + (anthropicCacheRead ?? 0);
  const output = num(u.completion_tokens) ?? num(u.output_tokens);
  const reasoning = num(outputDetails?.reasoning_tokens) ?? num(u.reasoning_tokens);
  let total = num(u.total_tokens);
  if (total === undefined && (input !== undefined || output !== undefined)) total = (input ?? 0) + (output ?? 0);
  const usage: Usage = {};
  if (input !== undefined) usage.input_tokens = input;
  if (output !== undefined) usage.output_tokens = output;
  if (total !== undefined) usage.total_tokens = total;
  if (reasoning) usage.reasoning_tokens = reasoning;
  if (cacheCreation) usage.cache_creation_tokens = cacheCreation;
  if (cacheRead) usage.cache_read_tokens = cacheRead;
  return Object.keys(usage).length > 0 ? usage : undefined;
}
