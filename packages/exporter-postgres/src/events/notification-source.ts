/**
 * Something that delivers NOTIFY payloads in-process, such as {@link PGliteAdapter}. When the
 * event bus's `db` is one, the bus listens through it instead of opening a connection.
 */
export interface NotificationSource {
  /** Starts delivering `channel`'s payloads to `callback`; resolves with a function that stops. */
  listenNotifications(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
}

/** True when `value` can deliver notifications itself. */
export function isNotificationSource(value: unknown): value is NotificationSource {
  return typeof value === 'object' && value !== null && typeof (value as NotificationSource).listenNotifications === 'function';
}
