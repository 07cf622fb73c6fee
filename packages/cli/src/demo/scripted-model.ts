/** What the scripted model answers: text, or tool calls. */
export interface ModelReply {
  text?: string;
  toolCalls?: { id: string; name: string; arguments: string }[];
}

/** A canned answer for user messages matching `pattern`. */
interface CannedAnswer {
  pattern: RegExp;
  text: string;
}

const ANSWERS: readonly CannedAnswer[] = [
  {
    pattern: /haiku/i,
    text: 'One small bag, zipped tight—\nthe rest of Paris waits for you\nin a corner café.',
  },
  {
    pattern: /museum/i,
    text: "Three good picks: the Musée d'Orsay for the Impressionists, the Musée Rodin for its sculpture garden, and the Centre Pompidou for modern art. Book the Orsay ahead on weekends.",
  },
  {
    pattern: /histor/i,
    text: [
      'The Louvre began as a fortress built by Philip II around 1190 to guard Paris from the west.',
      'Charles V turned it into a royal residence in the fourteenth century, and Francis I rebuilt it in the Renaissance style, starting the royal art collection with works such as the Mona Lisa.',
      'Louis XIV moved the court to Versailles in 1682, leaving the palace to academies and artists.',
      'During the Revolution the National Assembly declared it a museum, and it opened to the public in 1793 with 537 paintings.',
      "Napoleon enlarged the collection with spoils from his campaigns, many of them returned after 1815; the nineteenth century finished the palace's wings,",
      'and I. M. Pei added the glass pyramid in 1989 as part of the Grand Louvre project, which doubled the exhibition space.',
    ].join(' '),
  },
  {
    pattern: /stay|hotel|neighbo/i,
    text: 'Le Marais is central and walkable; Saint-Germain is quieter and close to the museums.',
  },
];

const TITLE_PROMPT = /title/i;

/**
 * A deterministic stand-in for a model: asks for the weather tool when the user asks about the
 * weather and tools are offered, answers from the tool's result, writes titles when the system
 * prompt asks for one, and otherwise picks a canned answer by the last user message.
 */
export function scriptedReply(messages: readonly unknown[], toolsOffered: boolean): ModelReply {
  const typed = messages.map(asMessage);
  const last = typed.at(-1);
  if (last?.role === 'tool') return { text: weatherAnswer(last.content) };
  const system = typed.find((message) => message.role === 'system')?.content ?? '';
  const firstUser = typed.find((message) => message.role === 'user')?.content ?? '';
  if (TITLE_PROMPT.test(system)) return { text: titleFor(firstUser) };
  const question = [...typed].reverse().find((message) => message.role === 'user')?.content ?? '';
  if (toolsOffered && /weather/i.test(question)) {
    const city = /in ([A-Z][a-zà-ÿ]+)/.exec(question)?.[1] ?? 'Paris';
    return { toolCalls: [{ id: 'call_demo_weather', name: 'get_weather', arguments: JSON.stringify({ city }) }] };
  }
  const answer = ANSWERS.find((candidate) => candidate.pattern.test(question));
  return { text: answer?.text ?? 'Happy to help with your weekend in Paris. What would you like to plan next?' };
}

/** A rough token count (four characters a token), as tokenizers average on English text. */
export function countTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function weatherAnswer(toolResult: string): string {
  try {
    const result = JSON.parse(toolResult) as { city?: unknown; temperature_c?: unknown; conditions?: unknown };
    return `It is ${String(result.temperature_c)}°C and ${String(result.conditions)} in ${String(result.city)} right now: a light jacket will do.`;
  } catch {
    return 'The weather service returned something I could not read.';
  }
}

function titleFor(text: string): string {
  if (/paris/i.test(text)) return 'Weekend in Paris';
  const words = text.replace(/[^\p{L}\p{N}\s]/gu, '').split(/\s+/).filter(Boolean).slice(0, 4);
  return words.length > 0 ? words.join(' ') : 'New conversation';
}

function asMessage(value: unknown): { role: string; content: string } {
  const record = typeof value === 'object' && value !== null ? (value as { role?: unknown; content?: unknown }) : {};
  const content = record.content;
  let text = '';
  if (typeof content === 'string') text = content;
  else if (Array.isArray(content)) {
    text = content.map((part: unknown) => (typeof part === 'object' && part !== null && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : '')).join('');
  }
  return { role: typeof record.role === 'string' ? record.role : '', content: text };
}
