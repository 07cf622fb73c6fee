import { describe, expect, it } from 'vitest';
import {
  BROADCAST_CHANNEL,
  NIL_UUID,
  OPERATIONS,
  RUN_KINDS,
  STATUSES,
  TERMINAL_STATUSES,
  decodeEvent,
  debugEvent,
  encodeEvent,
  eventChannel,
  isRunKind,
  isStatus,
  isTerminalStatus,
  isUuid,
  newId,
  statusPriority,
  worseOutcome,
} from '@chatdebug/sdk';

describe('statuses (§2)', () => {
  it('closed set, priority order and terminal rule', () => {
    expect(STATUSES).toEqual(['in_progress', 'completed', 'error', 'interrupted']);
    expect(['in_progress', 'interrupted', 'error', 'completed'].map(statusPriority)).toEqual([0, 1, 2, 3]);
    expect(statusPriority('bogus')).toBe(0);
    expect(statusPriority('toString')).toBe(0);
    expect(TERMINAL_STATUSES).toEqual(['completed', 'error', 'interrupted']);
    expect(isTerminalStatus('in_progress')).toBe(false);
    expect(isTerminalStatus('unknown')).toBe(false);
    expect(isStatus('completed')).toBe(true);
    expect(isStatus('done')).toBe(false);
  });

  it('turn outcome: the worst wins (error > interrupted > completed)', () => {
    expect(worseOutcome(undefined, 'completed')).toBe('completed');
    expect(worseOutcome('completed', 'interrupted')).toBe('interrupted');
    expect(worseOutcome('error', 'interrupted')).toBe('error');
    expect(worseOutcome('interrupted', 'completed')).toBe('interrupted');
  });
});

describe('run kinds and operations (§2, item 51)', () => {
  it('the four reference kinds and user-defined ones', () => {
    expect(Object.values(RUN_KINDS)).toEqual(['chat_turn', 'title_generation', 'quickgen', 'compaction']);
    expect(isRunKind('summarize_v2')).toBe(true);
    expect(isRunKind('a'.repeat(64))).toBe(true);
    for (const bad of ['', 'Chat', '1kind', 'kind-x', 'a'.repeat(65), 'kind space']) expect(isRunKind(bad)).toBe(false);
    expect(OPERATIONS).toEqual(['stream', 'generate']);
  });
});

describe('events (§2)', () => {
  const chat = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
  it('per-chat channels and the broadcast channel for the nil chat', () => {
    expect(eventChannel(chat)).toBe(`chat_debug:${chat}`);
    expect(eventChannel(NIL_UUID)).toBe(BROADCAST_CHANNEL);
    expect(BROADCAST_CHANNEL).toBe('chat_debug:broadcast');
  });

  it('payload is {kind, chat_id, run_id, step_id} with nil ids for absent ones, and round-trips', () => {
    const event = debugEvent('run_update', chat, chat);
    const text = encodeEvent(event);
    expect(JSON.parse(text)).toEqual({ kind: 'run_update', chat_id: chat, run_id: chat, step_id: NIL_UUID });
    expect(decodeEvent(text)).toEqual(event);
    expect(Buffer.byteLength(text)).toBeLessThan(8000);
    expect(decodeEvent('{bad')).toBeUndefined();
    expect(decodeEvent(JSON.stringify({ kind: 'nope', chat_id: chat, run_id: chat, step_id: chat }))).toBeUndefined();
  });
});

describe('ids', () => {
  it('newId makes UUIDv7s in time order', () => {
    const a = newId();
    const b = newId();
    expect(isUuid(a)).toBe(true);
    expect(a[14]).toBe('7');
    expect(a < b).toBe(true);
    expect(isUuid('not-a-uuid')).toBe(false);
  });
});
