import type { Clock, Logger, TimerHandle } from '@chatdebug/sdk';
import { ChatDebugError, describeError } from '@chatdebug/sdk';
import { scrubSecrets } from '../db/database-errors.js';
import { quoteIdentifier } from '../db/identifiers.js';
import type { ListenClientLike } from './listen-client.js';

/** Backoff bounds of the listening connection's reconnects. */
export interface ReconnectOptions {
  /** First delay after losing the connection, in milliseconds. @defaultValue 100 */
  initialDelayMillis?: number;
  /** Largest delay between attempts, in milliseconds. @defaultValue 5_000 */
  maxDelayMillis?: number;
}

interface PgListenConnectionOptions {
  createClient: () => ListenClientLike | Promise<ListenClientLike>;
  onNotification: (channel: string, payload: string) => void;
  clock: Clock;
  logger: Logger;
  reconnect: Required<ReconnectOptions>;
  /** Longest wait for the answer to LISTEN, UNLISTEN or the health check; 0: no limit. */
  queryTimeoutMillis: number;
  /** Period of the health check (`SELECT 1`) while connected; 0: none. */
  healthCheckIntervalMillis: number;
  secrets: readonly string[];
}

/** The health check: the cheapest statement that needs a live server to answer. */
const HEALTH_CHECK = 'SELECT 1';

/**
 * One dedicated listening connection (a `pg.Client`) that survives losing its backend: on an
 * `error` or `end` it is dropped, a new one is opened after an exponential backoff with jitter,
 * and every channel still wanted is LISTENed again.
 *
 * A connection can also die silently (a partition without a reset, a hung server): it stays
 * "connected" while notifications stop. So every statement it sends has a deadline, and while
 * connected a periodic health check (`SELECT 1`, same deadline) makes the server answer; a
 * statement that misses its deadline counts as a lost connection (destroyed, then reconnected).
 * Internal to the event bus.
 */
export class PgListenConnection {
  readonly #options: PgListenConnectionOptions;
  /** Channels with subscribers: re-LISTENed after every reconnect. */
  readonly #channels = new Set<string>();
  #client: ListenClientLike | undefined;
  #connecting: Promise<ListenClientLike> | undefined;
  #timer: TimerHandle | undefined;
  /** The health check's interval while a connection is up. */
  #healthTimer: TimerHandle | undefined;
  #failures = 0;
  #closed = false;

  constructor(options: PgListenConnectionOptions) {
    this.#options = options;
  }

  /** True while a connection is up. */
  get connected(): boolean {
    return this.#client !== undefined;
  }

  /**
   * LISTENs on `channel`, connecting first if needed. Rejects (code `unavailable`) when no
   * connection can be opened right now; the channel is then not kept.
   */
  async listen(channel: string): Promise<void> {
    const client = await this.#connected();
    this.#channels.add(channel);
    try {
      await this.#query(client, `LISTEN ${quoteIdentifier(channel)}`, true);
    } catch (error) {
      this.#channels.delete(channel);
      throw this.#unavailable('could not LISTEN', error);
    }
  }

  /** Stops listening on `channel`. Never throws: a lost connection has stopped listening anyway. */
  async unlisten(channel: string): Promise<void> {
    this.#channels.delete(channel);
    const client = this.#client;
    if (!client) return;
    try {
      await this.#query(client, `UNLISTEN ${quoteIdentifier(channel)}`, true);
    } catch (error) {
      this.#options.logger.debug('UNLISTEN failed', { channel, error: this.#describe(error) });
    }
  }

  /** Closes the connection and stops reconnecting. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#stopHealthCheck();
    this.#channels.clear();
    const client = this.#client;
    this.#client = undefined;
    await this.#connecting?.catch(() => undefined);
    await client?.end().catch(() => undefined);
  }

  async #connected(): Promise<ListenClientLike> {
    if (this.#closed) throw new ChatDebugError('shutdown', 'the event bus is shut down');
    if (this.#client) return this.#client;
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #connect(): Promise<ListenClientLike> {
    let client: ListenClientLike | undefined;
    try {
      client = await this.#options.createClient();
      this.#watch(client);
      await client.connect();
      for (const channel of this.#channels) await this.#query(client, `LISTEN ${quoteIdentifier(channel)}`, true);
    } catch (error) {
      void client?.end().catch(() => undefined);
      if (this.#channels.size > 0) this.#scheduleReconnect();
      throw this.#unavailable('could not open the event listening connection', error);
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      throw new ChatDebugError('shutdown', 'the event bus is shut down');
    }
    this.#client = client;
    this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#startHealthCheck(client);
    if (this.#failures > 0) this.#options.logger.info('event listening connection restored', { channels: this.#channels.size });
    this.#failures = 0;
    return client;
  }

  /** Listeners stay attached for the client's whole life, so a late 'error' is never unhandled. */
  #watch(client: ListenClientLike): void {
    client.on('notification', (message) => {
      if (client === this.#client) this.#options.onNotification(message.channel, message.payload ?? '');
    });
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, undefined));
  }

  #lost(client: ListenClientLike, error: Error | undefined): void {
    if (client !== this.#client) return;
    this.#client = undefined;
    this.#stopHealthCheck();
    // With a statement still unanswered, node-postgres destroys the socket rather than wait.
    void client.end().catch(() => undefined);
    if (this.#closed) return;
    this.#options.logger.warn('event listening connection lost; reconnecting', {
      channels: this.#channels.size,
      ...(error ? { error: this.#describe(error) } : {}),
    });
    if (this.#channels.size > 0) this.#scheduleReconnect();
  }

  /**
   * Sends `text` on `client` and waits at most `queryTimeoutMillis` for the answer. A statement
   * that misses its deadline marks the connection lost (when it is the current one; one still
   * connecting is ended by its caller) and rejects. `awaited`: a caller waits for this deadline,
   * so its timer keeps the process alive.
   */
  #query(client: ListenClientLike, text: string, awaited: boolean): Promise<unknown> {
    const answer = client.query(text);
    const millis = this.#options.queryTimeoutMillis;
    if (millis === 0) return answer;
    return new Promise((resolve, reject) => {
      const timer = this.#options.clock.setTimeout(() => {
        const error = new ChatDebugError('unavailable', `the event listening connection did not answer ${text.split(' ')[0]} within ${millis} ms`);
        reject(error);
        this.#lost(client, error);
      }, millis);
      if (awaited) timer.ref?.();
      answer.then(
        (value) => {
          this.#options.clock.clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          this.#options.clock.clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  #startHealthCheck(client: ListenClientLike): void {
    const every = this.#options.healthCheckIntervalMillis;
    if (every === 0) return;
    this.#stopHealthCheck();
    // One check at a time: each ends within the statement deadline.
    let checking = false;
    this.#healthTimer = this.#options.clock.setInterval(() => {
      if (checking || client !== this.#client) return;
      checking = true;
      this.#query(client, HEALTH_CHECK, false)
        .catch((error: unknown) => this.#lost(client, error instanceof Error ? error : new Error(String(error))))
        .finally(() => {
          checking = false;
        });
    }, every);
  }

  #stopHealthCheck(): void {
    this.#options.clock.clearInterval(this.#healthTimer);
    this.#healthTimer = undefined;
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#timer !== undefined) return;
    const { initialDelayMillis, maxDelayMillis } = this.#options.reconnect;
    const ceiling = Math.min(maxDelayMillis, initialDelayMillis * 2 ** Math.min(this.#failures, 30));
    this.#failures++;
    // Equal jitter: at least half the delay, so a herd of instances spreads out but never spins.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.#timer = this.#options.clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#closed || this.#client || this.#channels.size === 0) return;
      this.#connected().catch((error: unknown) => {
        this.#options.logger.warn('reconnecting the event listening connection failed; retrying', { error: this.#describe(error) });
      });
    }, delay);
  }

  #unavailable(message: string, error: unknown): ChatDebugError {
    if (ChatDebugError.is(error)) return error;
    return new ChatDebugError('unavailable', `${message}: ${this.#describe(error)}`, { cause: error });
  }

  #describe(error: unknown): string {
    return scrubSecrets(describeError(error), this.#options.secrets);
  }
}
