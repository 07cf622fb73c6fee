import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';

// The README's "A 10-line example" is test/readme-example.ts, verbatim, and it runs here as is.

const README = new URL('../README.md', import.meta.url);
const EXAMPLE = new URL('./readme-example.ts', import.meta.url);

describe('the README example', () => {
  it('is test/readme-example.ts, verbatim', () => {
    const readme = readFileSync(README, 'utf8');
    const section = readme.slice(readme.indexOf('## A 10-line example'));
    const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).toBe(readFileSync(EXAMPLE, 'utf8'));
  });

  it('records a run with one step on embedded PGlite, reads it back and closes', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    let calls: unknown[][];
    try {
      await import('./readme-example.js');
      calls = [...log.mock.calls];
    } finally {
      log.mockRestore();
    }
    expect(calls).toEqual([
      [
        'completed',
        { step_count: 1, first_message: 'Hi there', total_input_tokens: 3, total_output_tokens: 2 },
        [[1, 'completed', { content: 'Hello!' }]],
      ],
    ]);
  });
});
