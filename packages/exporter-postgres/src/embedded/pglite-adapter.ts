import type { Logger } from '@chatdebug/sdk';
import { ChatDebugError, consoleLogger, describeError } from '@chatdebug/sdk';
import { quoteIdentifier } from '../db/identifiers.js';
import type { NamedStatement, OwnedPool, PoolClientLike, QueryResultLike } from '../db/queryable.js';
import type { NotificationSource } from '../events/notification-source.js';
import { AsyncMutex } from './async-mutex.js';

/** One result of PGlite's `query`/`exec`. */
interface PGliteResults {
  rows: unknown[];
  rowCount?: number;
  affectedRows?: number;
}

/**
 * The subset of a `PGlite` instance (`@electric-sql/pglite`) the adapter uses; a `PGlite` fits
 * as is, without chatdebug importing the package's types.
 */
export interface PGliteLike {
  query(text: string, params?: unknown[]): Promise<PGliteResults>;
  exec(text: string): Promise<PGliteResults[]>;
  onNotification(callback: (channel: string, payload: string) => void): () => void;
  close(): Promise<void>;
  readonly closed: boolean;
}

/** Options of {@link PGliteAdapter}. */
export interface PGliteAdapterOptions {
  /** Close the PGlite instance in {@link PGliteAdapter.end}. @defaultValue false (it stays yours) */
  ownsInstance?: boolean;
  /** @defaultValue `consoleLogger` */
  logger?: Logger;
}

/**
 * Makes an embedded PGlite database look like a `pg.Pool`, so the exporter, the settings store,
 * {@link migrate} and the event bus run on it unchanged.
 *
 * PGlite has a single connection: the adapter serializes everything through a FIFO mutex. A
 * client from `connect()` holds the mutex until `release()` (so its transaction is never
 * interleaved with other statements); do not call the adapter itself while holding one.
 * Statements without parameters run through PGlite's simple protocol, so they may contain several
 * statements, as with `pg`. Notifications (LISTEN/NOTIFY) are delivered in-process.
 */
export class PGliteAdapter implements OwnedPool, NotificationSource {
  /** The wrapped PGlite instance. */
  readonly pglite: PGliteLike;
  readonly #mutex = new AsyncMutex();
  readonly #ownsInstance: boolean;
  readonly #logger: Logger;
  readonly #listeners = new Map<string, Set<(payload: string) => void>>();
  #unhook: (() => void) | undefined;
  #ended = false;

  constructor(pglite: PGliteLike, options: PGliteAdapterOptions = {}) {
    this.pglite = pglite;
    this.#ownsInstance = options.ownsInstance ?? false;
    this.#logger = options.logger ?? consoleLogger;
  }

  /** Runs one statement once no client holds the connection. */
  async query(text: string, values?: unknown[]): Promise<QueryResultLike> {
    const release = await this.#acquire();
    try {
      return await this.#run(text, values);
    } finally {
      release();
    }
  }

  /**
   * Holds the single connection until `release()`. A client released inside an open transaction
   * rolls it back first, so the next holder never inherits it.
   */
  async connect(): Promise<PoolClientLike> {
    const release = await this.#acquire();
    let released = false;
    // PGlite has no per-connection statement cache to name into, so a named statement runs as is.
    const run = (statement: string | NamedStatement, values?: unknown[]): Promise<QueryResultLike> => {
      if (released) return Promise.reject(new ChatDebugError('exporter_failed', 'PGliteAdapter: this client was already released'));
      return typeof statement === 'string' ? this.#run(statement, values) : this.#run(statement.text, statement.values);
    };
    return {
      query: run,
      release: () => {
        if (released) return;
        released = true;
        void this.#rollbackIfOpen().finally(release);
      },
      // PGlite runs in-process: there is no backend to lose, so no 'error' event ever fires.
      on: () => undefined,
      removeListener: () => undefined,
    };
  }

  /** Accepted for `pg.Pool` compatibility; PGlite never emits pool errors. */
  on(_event: 'error', _listener: (error: Error) => void): this {
    return this;
  }

  /**
   * Calls `callback` with each payload NOTIFYed on `channel` (LISTEN is issued on the first
   * listener of a channel, UNLISTEN after the last). Resolves once listening.
   */
  async listenNotifications(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>> {
    this.#unhook ??= this.pglite.onNotification((name, payload) => this.#dispatch(name, payload));
    let callbacks = this.#listeners.get(channel);
    if (!callbacks) {
      callbacks = new Set();
      this.#listeners.set(channel, callbacks);
      try {
        await this.query(`LISTEN ${quoteIdentifier(channel)}`);
      } catch (error) {
        this.#listeners.delete(channel);
        throw error;
      }
    }
    callbacks.add(callback);
    return async () => {
      const current = this.#listeners.get(channel);
      if (!current?.delete(callback) || current.size > 0) return;
      this.#listeners.delete(channel);
      if (!this.#ended) await this.query(`UNLISTEN ${quoteIdentifier(channel)}`);
    };
  }

  /** Closes the PGlite instance if the adapter owns it; runs once. */
  async end(): Promise<void> {
    if (this.#ended) return;
    const release = await this.#mutex.acquire();
    try {
      this.#ended = true;
      this.#unhook?.();
      this.#listeners.clear();
      if (this.#ownsInstance && !this.pglite.closed) await this.pglite.close();
    } finally {
      release();
    }
  }

  async #acquire(): Promise<() => void> {
    if (this.#ended) throw new ChatDebugError('shutdown', 'PGliteAdapter has ended');
    const release = await this.#mutex.acquire();
    if (this.#ended) {
      release();
      throw new ChatDebugError('shutdown', 'PGliteAdapter has ended');
    }
    return release;
  }

  async #run(text: string, values?: unknown[]): Promise<QueryResultLike> {
    if (values !== undefined && values.length > 0) return toResult(await this.pglite.query(text, values));
    const results = await this.pglite.exec(text);
    const last = results[results.length - 1];
    return last ? toResult(last) : { rows: [], rowCount: 0 };
  }

  async #rollbackIfOpen(): Promise<void> {
    const inTransaction = (this.pglite as { isInTransaction?: () => boolean }).isInTransaction;
    if (typeof inTransaction !== 'function' || !inTransaction.call(this.pglite)) return;
    try {
      await this.pglite.exec('ROLLBACK');
    } catch (error) {
      this.#logger.warn('PGliteAdapter: rolling back a released transaction failed', { error: describeError(error) });
    }
  }

  #dispatch(channel: string, payload: string): void {
    const callbacks = this.#listeners.get(channel);
    if (!callbacks) return;
    for (const callback of [...callbacks]) {
      try {
        callback(payload);
      } catch (error) {
        this.#logger.warn('a notification listener threw', { channel, error: describeError(error) });
      }
    }
  }
}

function toResult(result: PGliteResults): QueryResultLike {
  return { rows: result.rows, rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length };
}
