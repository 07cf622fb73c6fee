import { describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

describe('examples/otel', () => {
  it('mirrors a chatdebug run as spans and records AI SDK calls as a run in PGlite', async () => {
    const output = await main();
    expect(output).toContain('      chat_turn  provider.name="openai" request.model="gpt-4o" status="completed"');
    expect(output).toContain('         chat gpt-4o  operation.name="chat"');
    expect(output).toContain('            POST https://api.openai.com/v1/chat/completions');
    expect(output).toMatch(/run chat_turn completed provider=mock model=mock-large "Summarize the news" steps=2/);
    expect(output).toContain('1 generate completed finish=stop tokens=14→9 "Step 1: fetch. Step 2: summarize."');
    expect(output).toContain('2 stream completed finish=stop tokens=14→9 "Markets up, rain tomorrow."');
    expect(output).toContain('processor: runs=1 steps=2 skipped(no chat id)=0');
  });
});
