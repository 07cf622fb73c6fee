import { describe, expect, it } from 'vitest';
import { InProcessEventBus, NIL_UUID, debugEvent, silentLogger } from '@chatdebug/sdk';
import { CHAT } from '../support/tracing.js';

describe('InProcessEventBus', () => {
  it('delivers per chat and broadcast, isolates throwing handlers, and unsubscribes', async () => {
    const bus = new InProcessEventBus({ logger: silentLogger });
    const chat: string[] = [];
    const broadcast: string[] = [];
    const stopChat = await bus.subscribe(CHAT, (event) => chat.push(event.kind));
    await bus.subscribe(CHAT, () => {
      throw new Error('handler bug');
    });
    await bus.subscribe('broadcast', (event) => broadcast.push(event.kind));
    bus.publish(debugEvent('run_update', CHAT));
    bus.publish(debugEvent('finalize', NIL_UUID));
    await stopChat();
    bus.publish(debugEvent('delete', CHAT));
    expect(chat).toEqual(['run_update']);
    expect(broadcast).toEqual(['finalize']);
  });
});
