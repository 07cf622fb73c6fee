/**
 * Normalized finish reasons: `stop`, `length`, `tool_calls`, `content_filter`, `error`, `other`
 * (the OpenAI chat-completions vocabulary, which the other providers are mapped onto).
 */
export const FINISH_REASONS = ['stop', 'length', 'tool_calls', 'content_filter', 'error', 'other'] as const;

const MAP: Record<string, string> = {
  stop: 'stop',
  end_turn: 'stop',
  stop_sequence: 'stop',
  completed: 'stop',
  length: 'length',
  max_tokens: 'length',
  max_output_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  tool_use: 'tool_calls',
  content_filter: 'content_filter',
  refusal: 'content_filter',
  failed: 'error',
  error: 'error',
};

/** Maps a provider finish reason onto {@link FINISH_REASONS}; unknown non-empty values become `other`. */
export function normalizeFinishReason(raw: unknown): string {
  if (typeof raw !== 'string' || raw === '') return '';
  return MAP[raw] ?? 'other';
}
