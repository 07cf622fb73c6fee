// Wraps a local fake LLM in a chatdebug run with a generate step and a stream step, then prints
// what was recorded. Run it: pnpm --filter @chatdebug/example-basic start
import { createTracer, newId } from '@chatdebug/sdk';
import { MemoryExporter, formatTrace, normalizeTrace, readTrace } from '@chatdebug/testing';

interface ChatRequest {
  model: string;
  messages: Array<{ role: 'system' | 'user' | 'assistant'; content: string }>;
}

type StreamPart = { type: 'text-delta'; text: string } | { type: 'finish'; finishReason: string; usage: { inputTokens: number; outputTokens: number } };

/** A stand-in for a real model client: answers after a short delay. */
async function fakeGenerate(request: ChatRequest): Promise<{ text: string; usage: { input_tokens: number; output_tokens: number } }> {
  await new Promise((resolve) => setTimeout(resolve, 20));
  const question = request.messages.at(-1)?.content ?? '';
  return { text: `You asked: ${question}`, usage: { input_tokens: question.length, output_tokens: 12 } };
}

/** A stand-in for a streaming model: yields a few text deltas and a finish part. */
async function* fakeStream(text: string): AsyncGenerator<StreamPart> {
  for (const word of text.split(' ')) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    yield { type: 'text-delta', text: `${word} ` };
  }
  yield { type: 'finish', finishReason: 'stop', usage: { inputTokens: 20, outputTokens: text.split(' ').length } };
}

const toParts = (request: ChatRequest) => ({
  model: request.model,
  messages: request.messages.map((m) => ({ role: m.role, parts: [{ type: 'text', text: m.content }] })),
});

export async function main(): Promise<string> {
  const exporter = new MemoryExporter();
  const tracer = createTracer({ exporter });
  const chatId = newId();
  const question = 'What does chatdebug record?';

  await tracer.run({ chatId, kind: 'chat_turn', label: question, provider: 'fake', model: 'fake-1' }, async () => {
    const request: ChatRequest = { model: 'fake-1', messages: [{ role: 'user', content: question }] };
    const answer = await tracer.traceCall(
      {
        request: toParts(request),
        result: (value: Awaited<ReturnType<typeof fakeGenerate>>) => ({
          response: { content: [{ type: 'text', text: value.text }], finish_reason: 'stop' },
          usage: value.usage,
        }),
      },
      () => fakeGenerate(request),
    );

    const followUp: ChatRequest = { ...request, messages: [...request.messages, { role: 'assistant', content: answer.text }, { role: 'user', content: 'Stream it.' }] };
    const stream = await tracer.traceStream({ request: toParts(followUp) }, () => fakeStream('Runs, steps, usage, errors and HTTP attempts.'));
    let streamed = '';
    for await (const part of stream) if (part.type === 'text-delta') streamed += part.text;
    return streamed;
  });

  await tracer.shutdown();
  const trace = normalizeTrace(await readTrace(exporter, chatId));
  return formatTrace(trace);
}

const isEntryPoint = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isEntryPoint) {
  console.log(await main());
}
