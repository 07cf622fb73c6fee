import type { Logger } from '../logger/logger.js';
import { consoleLogger, describeError } from '../logger/logger.js';
import { NIL_UUID } from '../model/ids.js';
import type { DebugEvent } from '../model/events.js';
import { BROADCAST_CHANNEL, eventChannel } from '../model/events.js';
import type { EventBus, EventHandler, SubscriptionTarget, Unsubscribe } from './event-bus.js';

/** Options of {@link InProcessEventBus}. */
export interface InProcessEventBusOptions {
  logger?: Logger;
}

/** Delivers events synchronously to subscribers in this process. */
export class InProcessEventBus implements EventBus {
  readonly #handlers = new Map<string, Set<EventHandler>>();
  readonly #logger: Logger;

  constructor(options: InProcessEventBusOptions = {}) {
    this.#logger = options.logger ?? consoleLogger;
  }

  publish(event: DebugEvent): void {
    const handlers = this.#handlers.get(eventChannel(event.chatId));
    if (!handlers) return;
    for (const handler of [...handlers]) {
      try {
        handler(event);
      } catch (error) {
        this.#logger.warn('event handler threw', { error: describeError(error), kind: event.kind });
      }
    }
  }

  async subscribe(target: SubscriptionTarget, handler: EventHandler): Promise<Unsubscribe> {
    const channel = target === 'broadcast' ? BROADCAST_CHANNEL : eventChannel(target || NIL_UUID);
    let set = this.#handlers.get(channel);
    if (!set) {
      set = new Set();
      this.#handlers.set(channel, set);
    }
    set.add(handler);
    return async () => {
      set.delete(handler);
      if (set.size === 0 && this.#handlers.get(channel) === set) this.#handlers.delete(channel);
    };
  }
}
