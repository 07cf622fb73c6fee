import type { DebugEvent, EventBus, EventHandler, EventKind, Logger, SubscriptionTarget, Unsubscribe } from '@chatdebug/sdk';
import { InProcessEventBus, eventChannel, silentLogger } from '@chatdebug/sdk';

/** An event as a {@link RecordingEventBus} saw it: the event plus the channel it went to. */
export interface RecordedEvent extends DebugEvent {
  /** `chat_debug:<chat-uuid>`, or `chat_debug:broadcast` for the nil chat id. */
  channel: string;
}

/** Options of {@link RecordingEventBus}. */
export interface RecordingEventBusOptions {
  /** Where throwing subscribers are reported. @defaultValue `silentLogger` */
  logger?: Logger;
}

/**
 * An {@link EventBus} for tests: records every published event in order, with its channel, and
 * delivers it to subscribers like the in-process bus does. Can be told to fail, to check that a
 * failing bus never fails the write that published.
 *
 * @example
 * ```ts
 * const bus = new RecordingEventBus();
 * const service = new DebugService({ exporter, eventBus: bus });
 * await service.createRun({ chatId, kind: 'chat_turn' });
 * expect(bus.kinds()).toEqual(['run_update']);
 * ```
 */
export class RecordingEventBus implements EventBus {
  readonly #events: RecordedEvent[] = [];
  readonly #delivery: InProcessEventBus;
  #failure: Error | undefined;

  constructor(options: RecordingEventBusOptions = {}) {
    this.#delivery = new InProcessEventBus({ logger: options.logger ?? silentLogger });
  }

  /** Every event published so far, oldest first (copies). */
  get events(): RecordedEvent[] {
    return this.#events.map((event) => ({ ...event }));
  }

  /** The kinds of the recorded events, in order; only those of one chat when `chatId` is given. */
  kinds(chatId?: string): EventKind[] {
    return this.#events.filter((event) => chatId === undefined || event.chatId === chatId).map((event) => event.kind);
  }

  /** Records, then delivers. While {@link failPublishes} is set, throws instead (recording nothing). */
  publish(event: DebugEvent): void {
    if (this.#failure !== undefined) throw this.#failure;
    this.#events.push({ kind: event.kind, chatId: event.chatId, runId: event.runId, stepId: event.stepId, channel: eventChannel(event.chatId) });
    this.#delivery.publish(event);
  }

  subscribe(target: SubscriptionTarget, handler: EventHandler): Promise<Unsubscribe> {
    return this.#delivery.subscribe(target, handler);
  }

  /** Makes every later `publish` throw `error` until {@link resumePublishes}. */
  failPublishes(error: Error = new Error('event bus unavailable')): void {
    this.#failure = error;
  }

  /** Undoes {@link failPublishes}. */
  resumePublishes(): void {
    this.#failure = undefined;
  }

  /** Forgets recorded events (subscribers stay). */
  clear(): void {
    this.#events.length = 0;
  }
}
