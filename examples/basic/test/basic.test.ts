import { describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

describe('examples/basic', () => {
  it('records a run with a generate step and a stream step', async () => {
    const output = await main();
    expect(output).toMatch(/^run-1 chat_turn completed "What does chatdebug record\?" steps=2 tokens=47→19/);
    expect(output).toContain('1 generate completed tokens=27→12 attempts=0 "You asked: What does chatdebug record?"');
    expect(output).toContain('2 stream completed tokens=20→7 attempts=0 "Runs, steps, usage, errors and HTTP attempts. "');
  });
});
