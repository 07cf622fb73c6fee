/** Token usage of one step (snake_case keys, as stored). All fields optional. */
export interface Usage {
  input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
  reasoning_tokens?: number;
  cache_creation_tokens?: number;
  cache_read_tokens?: number;
}

/** The keys of {@link Usage}, in display order. */
export const USAGE_KEYS = [
  'input_tokens',
  'output_tokens',
  'total_tokens',
  'reasoning_tokens',
  'cache_creation_tokens',
  'cache_read_tokens',
] as const;
