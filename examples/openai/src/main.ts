// Instruments the real `openai` client against a tiny local fake server, runs one plain and one
// streamed chat completion inside a chatdebug run, and prints what was recorded.
//
//   pnpm --filter @chatdebug/example-openai start

import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import type { Attempt, StepRecord } from '@chatdebug/sdk';
import { createTracer, instrumentOpenAI, newId } from '@chatdebug/sdk';
import { MemoryExporter } from '@chatdebug/testing';

/** A fake OpenAI-compatible endpoint: POST /v1/chat/completions, JSON or SSE. */
async function startFakeServer(): Promise<{ baseURL: string; close: () => Promise<void> }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(raw || '{}') as { stream?: boolean };
      const base = { id: 'chatcmpl-demo', created: 1_700_000_000, model: 'gpt-demo' };
      if (!body.stream) {
        res.writeHead(200, { 'content-type': 'application/json', 'x-ratelimit-remaining-tokens': '9990' });
        res.end(
          JSON.stringify({
            ...base,
            object: 'chat.completion',
            choices: [{ index: 0, message: { role: 'assistant', content: 'Paris.', refusal: null }, finish_reason: 'stop', logprobs: null }],
            usage: { prompt_tokens: 14, completion_tokens: 2, total_tokens: 16 },
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta: object, finish: string | null) => ({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] });
      const events = [
        chunk({ role: 'assistant', content: '' }, null),
        chunk({ content: 'Lyon, ' }, null),
        chunk({ content: 'then Marseille.' }, null),
        chunk({}, 'stop'),
        { ...base, object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 } },
      ];
      for (const event of events) res.write(`data: ${JSON.stringify(event)}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function describeStep(step: StepRecord): string[] {
  const attempts = step.attempts as unknown as Attempt[];
  const response = step.normalizedResponse as { content?: { type: string; text?: string }[]; finish_reason?: string } | null;
  const text = (response?.content ?? []).map((part) => part.text ?? `[${part.type}]`).join('');
  const lines = [
    `  step ${step.stepNumber}  ${step.operation.padEnd(8)} ${step.status}`,
    `    response: ${JSON.stringify(text)} (finish: ${response?.finish_reason ?? '-'})`,
    `    usage:    ${JSON.stringify(step.usage)}`,
    `    attempts: ${attempts.length}`,
  ];
  for (const attempt of attempts) {
    lines.push(
      `      #${attempt.number} ${attempt.method} ${attempt.path} → ${attempt.response_status ?? '-'} ${attempt.status} in ${attempt.duration_ms} ms` +
        ` (authorization: ${attempt.request_headers?.authorization ?? 'absent'})`,
    );
  }
  return lines;
}

/** Runs the example and returns what it prints. */
export async function main(): Promise<string> {
  const out: string[] = [];
  const server = await startFakeServer();
  const exporter = new MemoryExporter();
  const tracer = createTracer({ exporter });
  const openai = instrumentOpenAI(new OpenAI({ apiKey: 'sk-example-not-a-real-key', baseURL: server.baseURL }), { tracer });
  const chatId = newId();

  try {
    await tracer.run({ chatId, kind: 'chat_turn', label: 'Where should I travel in France?', provider: 'openai', model: 'gpt-demo' }, async () => {
      const completion = await openai.chat.completions.create({
        model: 'gpt-demo',
        messages: [{ role: 'user', content: 'Where should I travel in France?' }],
      });
      out.push(`plain answer:    ${completion.choices[0]?.message.content ?? ''}`);

      const stream = await openai.chat.completions.create({
        model: 'gpt-demo',
        messages: [{ role: 'user', content: 'And after that?' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let streamed = '';
      for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? '';
      out.push(`streamed answer: ${streamed}`);
    });
    await tracer.shutdown();

    const runs = await exporter.listRuns({ chatId, limit: 10 });
    out.push('', `recorded ${runs.length} run(s) for chat ${chatId}`);
    for (const run of runs) {
      const steps = await exporter.listSteps(run.id);
      out.push(`run ${run.id}  ${run.kind}  ${run.status}  steps: ${steps.length}`);
      out.push(`  summary: ${JSON.stringify(run.summary)}`);
      for (const step of steps) out.push(...describeStep(step));
    }
  } finally {
    await server.close();
  }
  return out.join('\n');
}

const isEntryPoint = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isEntryPoint) {
  try {
    console.log(await main());
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  }
}
