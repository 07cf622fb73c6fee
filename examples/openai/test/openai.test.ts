import { describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

describe('examples/openai', () => {
  it('records a plain and a streamed completion of the real openai client as two steps, key redacted', async () => {
    const output = await main();
    expect(output).toContain('plain answer:    Paris.');
    expect(output).toContain('streamed answer: Lyon, then Marseille.');
    expect(output).toMatch(/run [0-9a-f-]{36} {2}chat_turn {2}completed {2}steps: 2/);
    expect(output).toMatch(/step 1 {2}generate +completed\n {4}response: "Paris\." \(finish: stop\)/);
    expect(output).toMatch(/step 2 {2}stream +completed\n {4}response: "Lyon, then Marseille\." \(finish: stop\)/);
    expect(output).toContain('"total_input_tokens":34,"total_output_tokens":7');
    expect(output.match(/#1 POST \/v1\/chat\/completions → 200 completed in \d+ ms \(authorization: \[REDACTED\]\)/g)).toHaveLength(2);
    expect(output).not.toContain('sk-example-not-a-real-key');
  });
});
