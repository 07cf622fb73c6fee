// A tiny application function: answers a question, calling a tool when the model asks for one.
// It is what you would test in your own app; the test beside it shows how.
import type { Tracer } from '@chatdebug/sdk';

export interface ModelReply {
  text?: string;
  toolCall?: { id: string; name: string; arguments: string };
  usage: { input_tokens: number; output_tokens: number };
}

export interface Message {
  role: 'user' | 'assistant' | 'tool';
  content: string;
}

/** The model port the app depends on (a real client in production, a fake in tests). */
export type Model = (messages: readonly Message[]) => Promise<ModelReply>;

/** The tools the assistant may call. */
export type Tools = Record<string, (args: unknown) => Promise<string>>;

export async function answer(tracer: Tracer, model: Model, tools: Tools, chatId: string, question: string): Promise<string> {
  return tracer.run({ chatId, kind: 'chat_turn', label: question, provider: 'fake', model: 'fake-1' }, async () => {
    const messages: Message[] = [{ role: 'user', content: question }];
    for (let turn = 0; turn < 4; turn++) {
      const reply = await tracer.traceCall(
        {
          request: { messages: messages.map((m) => ({ role: m.role, parts: [{ type: 'text', text: m.content }] })) },
          result: (r: ModelReply) => ({
            usage: r.usage,
            response: {
              content: r.toolCall
                ? [{ type: 'tool-call', tool_call_id: r.toolCall.id, tool_name: r.toolCall.name, arguments: r.toolCall.arguments }]
                : [{ type: 'text', text: r.text ?? '' }],
              finish_reason: r.toolCall ? 'tool-calls' : 'stop',
            },
          }),
        },
        () => model(messages),
      );
      if (!reply.toolCall) return reply.text ?? '';
      const tool = tools[reply.toolCall.name];
      const result = tool ? await tool(JSON.parse(reply.toolCall.arguments)) : `unknown tool ${reply.toolCall.name}`;
      messages.push({ role: 'assistant', content: `[tool ${reply.toolCall.name}]` }, { role: 'tool', content: result });
    }
    throw new Error('too many tool calls');
  });
}
