import type { Clock, DebugEvent, EventBus, EventHandler, Logger, SubscriptionTarget, Unsubscribe } from '@chatdebug/sdk';
import {
  BROADCAST_CHANNEL,
  ChatDebugError,
  InvalidArgumentError,
  NIL_UUID,
  consoleLogger,
  decodeEvent,
  describeError,
  encodeEvent,
  eventChannel,
  systemClock,
} from '@chatdebug/sdk';
import { clientConfig, resolveConnectionSettings } from './db/create-pool.js';
import { connectionSecrets, wrapDatabaseError } from './db/database-errors.js';
import { guardPool } from './db/guard-pool.js';
import { loadPg } from './db/load-pg.js';
import { nonNegativeMillis } from './db/option-values.js';
import type { Queryable } from './db/queryable.js';
import type { ListenClientLike } from './events/listen-client.js';
import type { NotificationSource } from './events/notification-source.js';
import { isNotificationSource } from './events/notification-source.js';
import type { ReconnectOptions } from './events/pg-listen-connection.js';
import { PgListenConnection } from './events/pg-listen-connection.js';

/** NOTIFY payloads must stay below PostgreSQL's limit of 8000 bytes. */
const MAX_PAYLOAD_BYTES = 7999;

/** Default deadline of the listening connection's statements (LISTEN, UNLISTEN, health check): 5 seconds. */
export const DEFAULT_LISTEN_QUERY_TIMEOUT_MILLIS = 5_000;
/** Default period of the listening connection's health check: 15 seconds. */
export const DEFAULT_HEALTH_CHECK_INTERVAL_MILLIS = 15_000;

/** Options of {@link PostgresEventBus}. */
export interface PostgresEventBusOptions {
  /**
   * Where `publish` runs `pg_notify`: a pool (or a {@link PGliteAdapter}). Not ended by the bus.
   * When it is a {@link PGliteAdapter}, subscriptions listen through it too.
   */
  db: Queryable;
  /**
   * Opens the dedicated listening connection from this connection string (`pg` must be installed).
   * Never logged.
   */
  connectionString?: string;
  /**
   * Makes the dedicated listening connection instead, e.g. `() => new pg.Client(config)`. Called
   * again after each lost connection. The bus connects it, attaches its listeners and ends it.
   */
  createListenClient?: () => ListenClientLike | Promise<ListenClientLike>;
  /** With `connectionString`: time to wait for the connection. @defaultValue 10_000 (milliseconds) */
  connectionTimeoutMillis?: number;
  /**
   * With `connectionString`: idle time before TCP keepalive probes start on the listening
   * connection; 0 leaves it to the operating system (two hours on Linux).
   * @defaultValue 10_000 (milliseconds)
   */
  keepAliveInitialDelayMillis?: number;
  /**
   * Longest wait for the server's answer to a statement of the listening connection (LISTEN,
   * UNLISTEN, the health check). One that misses it counts as a lost connection: destroyed, then
   * reconnected; `subscribe` rejects with `unavailable`. 0 disables the deadline (and requires
   * `healthCheckIntervalMillis: 0`).
   * @defaultValue 5_000 (milliseconds)
   */
  queryTimeoutMillis?: number;
  /**
   * Period of the health check (`SELECT 1`) while the listening connection is up, so one that
   * died silently (a partition without a reset, a hung server) is replaced within about this
   * period plus `queryTimeoutMillis`, not when the operating system gives up. 0 disables it.
   * @defaultValue 15_000 (milliseconds)
   */
  healthCheckIntervalMillis?: number;
  /** Backoff of reconnects. @defaultValue 100 ms doubling up to 5_000 ms, with jitter */
  reconnect?: ReconnectOptions;
  /**
   * How long `shutdown()` waits for events still being sent before it closes anyway (logging
   * how many it gave up on). 0 does not wait.
   * @defaultValue 5_000 (milliseconds)
   */
  shutdownTimeoutMillis?: number;
  /** Timers of the reconnect backoff and the shutdown wait. @defaultValue `systemClock` */
  clock?: Clock;
  /** @defaultValue `consoleLogger` */
  logger?: Logger;
}

/** The per-channel subscription mechanics: a dedicated connection, or an in-process source. */
interface Listener {
  listen(channel: string): Promise<void>;
  unlisten(channel: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Change events across processes with LISTEN/NOTIFY. `publish` sends one `pg_notify` per event on
 * the chat's channel (`chat_debug:<chat id>`, or `chat_debug:broadcast` for the stale sweep) with
 * an ids-only payload, far below NOTIFY's 8000-byte limit. The service publishes after each write
 * has committed (outside the write's transaction), so a subscriber re-reading the row sees it.
 *
 * Subscriptions share ONE dedicated listening connection (channel names contain ':' and are
 * always quoted). When its backend dies (`pg_terminate_backend`, a restart), it reconnects with
 * backoff and LISTENs again; events NOTIFYed while it is down are lost, as with any LISTEN. A
 * connection that dies silently is caught by the statement deadline and the periodic health
 * check (TCP keepalive too, with `connectionString`). On PGlite the bus listens through the
 * adapter, in-process.
 *
 * @example
 * ```ts
 * const bus = new PostgresEventBus({ db: pool, connectionString });
 * const stop = await bus.subscribe(chatId, (event) => console.log(event.kind, event.runId));
 * ```
 */
export class PostgresEventBus implements EventBus {
  readonly #db: Queryable;
  readonly #logger: Logger;
  readonly #listener: Listener | undefined;
  readonly #secrets: readonly string[];
  readonly #handlers = new Map<string, Set<EventHandler>>();
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #clock: Clock;
  readonly #shutdownTimeoutMillis: number;
  /** Channels whose LISTEN is in flight, so concurrent first subscribers share it. */
  readonly #pending = new Map<string, Promise<void>>();
  #shutdown: Promise<void> | undefined;

  constructor(options: PostgresEventBusOptions) {
    if (!options?.db || typeof options.db.query !== 'function') throw new InvalidArgumentError('db', 'a pool (or PGlite adapter) to publish on is required');
    if (options.connectionString !== undefined && options.createListenClient !== undefined) {
      throw new InvalidArgumentError('connectionString', 'give either "connectionString" or "createListenClient", not both');
    }
    this.#db = options.db;
    this.#logger = options.logger ?? consoleLogger;
    guardPool(options.db, this.#logger);
    this.#clock = options.clock ?? systemClock;
    this.#shutdownTimeoutMillis = nonNegativeMillis('shutdownTimeoutMillis', options.shutdownTimeoutMillis, 5_000);
    const dispatch = (channel: string, payload: string) => this.#dispatch(channel, payload);
    const queryTimeoutMillis = nonNegativeMillis('queryTimeoutMillis', options.queryTimeoutMillis, DEFAULT_LISTEN_QUERY_TIMEOUT_MILLIS);
    const healthCheckIntervalMillis = nonNegativeMillis('healthCheckIntervalMillis', options.healthCheckIntervalMillis, DEFAULT_HEALTH_CHECK_INTERVAL_MILLIS);
    if (healthCheckIntervalMillis > 0 && queryTimeoutMillis === 0) {
      throw new InvalidArgumentError('queryTimeoutMillis', 'the health check needs a deadline: give a positive queryTimeoutMillis, or healthCheckIntervalMillis: 0');
    }
    let createClient = options.createListenClient;
    let secrets: string[] = [];
    if (options.connectionString !== undefined) {
      // The bus puts its own deadline on each statement, so the driver's limits stay off.
      const settings = resolveConnectionSettings({
        connectionString: options.connectionString,
        connectionTimeoutMillis: options.connectionTimeoutMillis,
        statementTimeoutMillis: 0,
        keepAliveInitialDelayMillis: options.keepAliveInitialDelayMillis,
        applicationName: 'chatdebug-listener',
      });
      secrets = connectionSecrets(settings.connectionString);
      createClient = async () => new (await loadPg()).Client(clientConfig(settings));
    }
    this.#secrets = secrets;
    if (createClient) {
      this.#listener = new PgListenConnection({
        createClient,
        onNotification: dispatch,
        clock: this.#clock,
        logger: this.#logger,
        reconnect: {
          initialDelayMillis: options.reconnect?.initialDelayMillis ?? 100,
          maxDelayMillis: options.reconnect?.maxDelayMillis ?? 5_000,
        },
        queryTimeoutMillis,
        healthCheckIntervalMillis,
        secrets,
      });
    } else if (isNotificationSource(options.db)) {
      this.#listener = new SourceListener(options.db, dispatch);
    }
  }

  /**
   * NOTIFYs the event on its chat's channel (the broadcast channel for the nil chat id). Rejects
   * with a `ChatDebugError` when the statement fails; after shutdown, does nothing.
   */
  async publish(event: DebugEvent): Promise<void> {
    if (this.#shutdown) {
      this.#logger.debug('event bus is shut down; event dropped', { kind: event.kind });
      return;
    }
    const payload = encodeEvent(event);
    if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) throw new InvalidArgumentError('event', 'the encoded event exceeds the NOTIFY payload limit');
    const sent = this.#db.query('SELECT pg_notify($1::text, $2::text)', [eventChannel(event.chatId || NIL_UUID), payload]);
    // Publishers do not wait for events (the service fires them after its write), so shutdown
    // does: a short-lived writer's last event must not be cut off by closing the pool.
    this.#inFlight.add(sent);
    try {
      await sent;
    } catch (error) {
      throw wrapDatabaseError('PostgresEventBus.publish', error, this.#secrets);
    } finally {
      this.#inFlight.delete(sent);
    }
  }

  /**
   * Calls `handler` for every event on a chat's channel, or on the broadcast channel with
   * `'broadcast'`. Resolves once LISTEN is in effect; rejects with code `unavailable` (and
   * subscribes nothing) when the listening connection cannot be opened right now. Throwing
   * handlers are logged and skipped.
   */
  async subscribe(target: SubscriptionTarget, handler: EventHandler): Promise<Unsubscribe> {
    if (this.#shutdown) throw new ChatDebugError('shutdown', 'the event bus is shut down');
    const listener = this.#listener;
    if (!listener) {
      throw new InvalidArgumentError('subscribe', 'this bus can only publish: give "connectionString" or "createListenClient" (or a PGlite adapter as "db")');
    }
    const channel = target === 'broadcast' ? BROADCAST_CHANNEL : eventChannel(target || NIL_UUID);
    if (!this.#handlers.get(channel)?.size) {
      let pending = this.#pending.get(channel);
      if (!pending) {
        pending = listener.listen(channel).finally(() => this.#pending.delete(channel));
        this.#pending.set(channel, pending);
      }
      await pending;
    }
    let handlers = this.#handlers.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.#handlers.set(channel, handlers);
    }
    handlers.add(handler);
    let active = true;
    return async () => {
      if (!active) return;
      active = false;
      const current = this.#handlers.get(channel);
      if (!current?.delete(handler) || current.size > 0) return;
      this.#handlers.delete(channel);
      if (!this.#shutdown) await listener.unlisten(channel);
    };
  }

  /** Stops listening and closes the listening connection (not `db`). Runs once. */
  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      await this.#sent();
      this.#handlers.clear();
      await this.#listener?.close();
    })();
    return this.#shutdown;
  }

  /** Waits for the events in flight, at most `shutdownTimeoutMillis` (a pool may never answer). */
  async #sent(): Promise<void> {
    if (this.#inFlight.size === 0 || this.#shutdownTimeoutMillis === 0) return;
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = this.#clock.setTimeout(() => resolve('deadline'), this.#shutdownTimeoutMillis);
    });
    const outcome = await Promise.race([Promise.allSettled([...this.#inFlight]), deadline]);
    this.#clock.clearTimeout(timer);
    if (outcome === 'deadline') this.#logger.warn('event bus shut down with events still being sent', { events: this.#inFlight.size });
  }

  #dispatch(channel: string, payload: string): void {
    const handlers = this.#handlers.get(channel);
    if (!handlers?.size) return;
    const event = decodeEvent(payload);
    if (!event) {
      this.#logger.warn('ignored a malformed event payload', { channel });
      return;
    }
    for (const handler of [...handlers]) {
      try {
        handler(event);
      } catch (error) {
        this.#logger.warn('event handler threw', { kind: event.kind, error: describeError(error) });
      }
    }
  }
}

/** Subscriptions through an in-process notification source (PGlite). */
class SourceListener implements Listener {
  readonly #source: NotificationSource;
  readonly #dispatch: (channel: string, payload: string) => void;
  readonly #stops = new Map<string, () => Promise<void>>();

  constructor(source: NotificationSource, dispatch: (channel: string, payload: string) => void) {
    this.#source = source;
    this.#dispatch = dispatch;
  }

  async listen(channel: string): Promise<void> {
    if (this.#stops.has(channel)) return;
    const stop = await this.#source.listenNotifications(channel, (payload) => this.#dispatch(channel, payload));
    this.#stops.set(channel, stop);
  }

  async unlisten(channel: string): Promise<void> {
    const stop = this.#stops.get(channel);
    this.#stops.delete(channel);
    await stop?.();
  }

  async close(): Promise<void> {
    const stops = [...this.#stops.values()];
    this.#stops.clear();
    await Promise.allSettled(stops.map((stop) => stop()));
  }
}
