import type { DebugEvent } from '../model/events.js';

/** Receives events. Must not throw; a throwing handler is caught and logged by the bus. */
export type EventHandler = (event: DebugEvent) => void;

/** Stops a subscription. */
export type Unsubscribe = () => Promise<void>;

/** Subscribe to one chat's channel, or to `'broadcast'` (events of the stale sweep). */
export type SubscriptionTarget = string | 'broadcast';

/**
 * Fans out change events. The service publishes only after the write succeeded; a failing bus is
 * logged and never fails the operation.
 */
export interface EventBus {
  publish(event: DebugEvent): void | Promise<void>;
  subscribe(target: SubscriptionTarget, handler: EventHandler): Promise<Unsubscribe>;
  shutdown?(): Promise<void>;
}
