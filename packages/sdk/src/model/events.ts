import { NIL_UUID } from './ids.js';

/** Change events published after a write is durable. */
export const EVENT_KINDS = ['run_update', 'step_update', 'finalize', 'delete'] as const;

/** One of {@link EVENT_KINDS}. */
export type EventKind = (typeof EVENT_KINDS)[number];

/** A change event. Absent ids are {@link NIL_UUID}. */
export interface DebugEvent {
  kind: EventKind;
  chatId: string;
  runId: string;
  stepId: string;
}

/** The wire payload of a {@link DebugEvent}: ids only, always far below NOTIFY's 8000-byte limit. */
export interface DebugEventPayload {
  kind: EventKind;
  chat_id: string;
  run_id: string;
  step_id: string;
}

/** Prefix of every channel name. */
export const CHANNEL_PREFIX = 'chat_debug:';

/** The channel the nil chat id maps to (used by the stale sweep). */
export const BROADCAST_CHANNEL = `${CHANNEL_PREFIX}broadcast`;

/** `chat_debug:<chat-uuid>`, or {@link BROADCAST_CHANNEL} for the nil chat id. */
export function eventChannel(chatId: string): string {
  return chatId === NIL_UUID ? BROADCAST_CHANNEL : `${CHANNEL_PREFIX}${chatId.toLowerCase()}`;
}

/** Builds an event, filling absent ids with {@link NIL_UUID}. */
export function debugEvent(kind: EventKind, chatId?: string, runId?: string, stepId?: string): DebugEvent {
  return { kind, chatId: chatId ?? NIL_UUID, runId: runId ?? NIL_UUID, stepId: stepId ?? NIL_UUID };
}

/** Serializes an event to its JSON wire payload. */
export function encodeEvent(event: DebugEvent): string {
  const payload: DebugEventPayload = {
    kind: event.kind,
    chat_id: event.chatId,
    run_id: event.runId,
    step_id: event.stepId,
  };
  return JSON.stringify(payload);
}

/** Parses a wire payload; returns undefined for anything malformed. */
export function decodeEvent(text: string): DebugEvent | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const p = parsed as Partial<DebugEventPayload>;
  if (!(EVENT_KINDS as readonly string[]).includes(p.kind ?? '')) return undefined;
  if (typeof p.chat_id !== 'string' || typeof p.run_id !== 'string' || typeof p.step_id !== 'string') return undefined;
  return { kind: p.kind as EventKind, chatId: p.chat_id, runId: p.run_id, stepId: p.step_id };
}
