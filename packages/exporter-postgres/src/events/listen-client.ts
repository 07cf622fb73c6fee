/** A notification as node-postgres delivers it. */
export interface NotificationMessage {
  channel: string;
  payload?: string;
}

/**
 * The subset of `pg.Client` the event bus uses for its dedicated listening connection. A
 * `new pg.Client(config)` fits as is; the bus calls `connect()` itself and always attaches an
 * `error` listener before connecting.
 */
export interface ListenClientLike {
  connect(): Promise<unknown>;
  query(text: string): Promise<unknown>;
  on(event: 'notification', listener: (message: NotificationMessage) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  end(): Promise<void>;
}
