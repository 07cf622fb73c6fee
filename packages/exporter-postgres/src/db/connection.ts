import { createHash } from 'node:crypto';
import type { Logger } from '@chatdebug/sdk';
import { ChatDebugError, InvalidArgumentError, consoleLogger } from '@chatdebug/sdk';
import { createPool, resolveConnectionSettings } from './create-pool.js';
import { connectionSecrets, isMissingPreparedStatement, keepsConnection, wrapDatabaseError } from './database-errors.js';
import { guardPool } from './guard-pool.js';
import type { TableNames } from './identifiers.js';
import { tableNames } from './identifiers.js';
import type { OwnedPool, PoolLike, QueryResultLike } from './queryable.js';

/**
 * Where a Postgres-backed chatdebug component reads and writes: either a pool you own
 * (`pool`), or a connection string from which the component creates (and later ends) its own.
 */
export interface PostgresConnectionOptions {
  /**
   * A `pg.Pool`, a {@link PGliteAdapter}, or anything with the same `query`/`connect`. It stays
   * yours: never ended by chatdebug. Attach an `error` listener to a `pg.Pool` you pass in; until
   * you do, chatdebug's fallback listener logs a failed idle connection instead of letting it
   * crash the process.
   */
  pool?: PoolLike;
  /** Creates a private pool instead (`pg` must be installed). Never logged. */
  connectionString?: string;
  /**
   * Schema holding chatdebug's tables (created by {@link migrate}); must match
   * `^[a-z_][a-z0-9_]{0,39}$`.
   * @defaultValue 'public'
   */
  schema?: string;
  /** With `connectionString` only. @defaultValue 10_000 (milliseconds) */
  connectionTimeoutMillis?: number;
  /** Server-side `statement_timeout`, with `connectionString` only. @defaultValue 30_000 (milliseconds) */
  statementTimeoutMillis?: number;
  /**
   * Client-side wait for a statement's answer (node-postgres' `query_timeout`), with
   * `connectionString` only: a hung server or network fails the statement and destroys its
   * connection. 0 disables it.
   * @defaultValue `statementTimeoutMillis` + 5_000 (milliseconds); 0 when the statement timeout is 0
   */
  queryTimeoutMillis?: number;
  /** TCP keepalive idle time of the private pool's connections, with `connectionString` only. @defaultValue 10_000 (milliseconds) */
  keepAliveInitialDelayMillis?: number;
  /** Size of the private pool, with `connectionString` only. @defaultValue 10 */
  maxConnections?: number;
  /** `application_name` of the private pool's connections, with `connectionString` only. @defaultValue 'chatdebug' */
  applicationName?: string;
  /**
   * Run chatdebug's statements as named prepared statements, parsed and planned once per
   * connection (the guarded step insert costs about a third less). Turn it off for a pool whose
   * clients only take `query(text, values)`, or behind PgBouncer in transaction mode before 1.21
   * (which does not keep prepared statements across transactions).
   * @defaultValue true
   */
  preparedStatements?: boolean;
  /** @defaultValue `consoleLogger` (warnings and errors) */
  logger?: Logger;
}

/**
 * Runs one statement on the connection a {@link Connection.transaction} holds: parameterized
 * (as a named prepared statement when those are on), or, without `values`, as plain text
 * (`BEGIN`, `COMMIT`).
 */
export type StatementRunner = (text: string, values?: unknown[]) => Promise<QueryResultLike>;

/** The state of a connection {@link Connection} holds for a piece of work. */
interface HeldConnection {
  /** Marks the connection to be destroyed on release rather than reused. */
  discard(error: unknown): void;
  /** True once the connection failed (or was discarded). */
  readonly broken: boolean;
}

/**
 * One component's access to the database: the pool (given or lazily created), the resolved
 * table names, and failures wrapped as `ChatDebugError`s. Internal.
 */
export class Connection {
  readonly tables: TableNames;
  readonly logger: Logger;
  /** Resolves the pool: the one given, or the private one (created on first call). */
  readonly #resolve: () => Promise<PoolLike>;
  readonly #secrets: string[];
  readonly #component: string;
  /** Statement name per statement text, when statements are prepared. */
  readonly #statementNames: Map<string, string> | undefined;
  #owned: Promise<OwnedPool> | undefined;
  #closed = false;

  constructor(options: PostgresConnectionOptions, component: string) {
    this.#component = component;
    this.tables = tableNames(options.schema);
    this.logger = options.logger ?? consoleLogger;
    if (options.preparedStatements !== undefined && typeof options.preparedStatements !== 'boolean') {
      throw new InvalidArgumentError('preparedStatements', 'expected a boolean');
    }
    this.#statementNames = options.preparedStatements === false ? undefined : new Map();
    const hasPool = options.pool !== undefined;
    const hasUrl = options.connectionString !== undefined;
    if (hasPool === hasUrl) throw new InvalidArgumentError('pool', `${component} needs exactly one of "pool" and "connectionString"`);
    if (options.pool !== undefined) {
      for (const field of ['connectionTimeoutMillis', 'statementTimeoutMillis', 'queryTimeoutMillis', 'keepAliveInitialDelayMillis', 'maxConnections', 'applicationName'] as const) {
        if (options[field] !== undefined) throw new InvalidArgumentError(field, 'applies only to a pool created from "connectionString"; configure your own pool instead');
      }
      const given = options.pool;
      guardPool(given, this.logger);
      this.#resolve = async () => given;
      this.#secrets = [];
      return;
    }
    // Validate now, so a bad option fails at construction rather than at the first write.
    const settings = resolveConnectionSettings({
      connectionString: options.connectionString ?? '',
      connectionTimeoutMillis: options.connectionTimeoutMillis,
      statementTimeoutMillis: options.statementTimeoutMillis,
      queryTimeoutMillis: options.queryTimeoutMillis,
      keepAliveInitialDelayMillis: options.keepAliveInitialDelayMillis,
      applicationName: options.applicationName,
    });
    this.#secrets = connectionSecrets(settings.connectionString);
    this.#resolve = () => (this.#owned ??= createPool({ ...settings, maxConnections: options.maxConnections, logger: this.logger }));
  }

  /** The pool to run statements on; creates the private pool on first use. */
  async pool(): Promise<PoolLike> {
    if (this.#closed) throw new ChatDebugError('shutdown', `${this.#component} is shut down`);
    return this.#resolve();
  }

  /** Runs one statement; failures become `ChatDebugError`s with the driver's error as `cause`. */
  async query(operation: string, text: string, values: unknown[]): Promise<QueryResultLike> {
    try {
      return await this.execute(text, values);
    } catch (error) {
      throw this.wrap(operation, error);
    }
  }

  /**
   * Runs one statement on a checked-out connection and rethrows the driver's error as is. Unlike
   * `pg.Pool#query`, which destroys the connection after any failed statement, the connection goes
   * back to the pool after an ordinary SQL error (a unique violation on a taken step number costs
   * no reconnect); only a connection-level failure destroys it. While held, the connection has an
   * `error` listener of its own, so a backend dying meanwhile cannot crash the process.
   */
  async execute(text: string, values: unknown[]): Promise<QueryResultLike> {
    return this.#onFreshConnectionIfForgotten(() => this.#withClient((run) => run(text, values)));
  }

  /**
   * Runs `work` in one READ COMMITTED transaction on one checked-out connection (each statement
   * `work` runs through `run` takes a new snapshot, and sees what committed before it started);
   * commits when `work` resolves, rolls back when it throws. Failures become `ChatDebugError`s
   * with the driver's error as `cause`. The isolation level is explicit, so a pool whose
   * `default_transaction_isolation` is stricter does not change what the statements see.
   */
  async transaction<T>(operation: string, work: (run: StatementRunner) => Promise<T>): Promise<T> {
    try {
      return await this.#onFreshConnectionIfForgotten(() =>
        this.#withClient(async (run, held) => {
          await run('BEGIN ISOLATION LEVEL READ COMMITTED');
          let result: T;
          try {
            result = await work(run);
          } catch (error) {
            // A failed connection is destroyed, which ends its transaction; one whose ROLLBACK
            // fails may still be inside it, so it is destroyed too.
            if (!held.broken) await run('ROLLBACK').catch(held.discard);
            throw error;
          }
          await run('COMMIT');
          return result;
        }),
      );
    } catch (error) {
      throw this.wrap(operation, error);
    }
  }

  /**
   * Runs `attempt`, and once more (on another connection) when the server had forgotten a
   * prepared statement: the connection that failed was destroyed, so the retry prepares afresh.
   */
  async #onFreshConnectionIfForgotten<T>(attempt: () => Promise<T>): Promise<T> {
    try {
      return await attempt();
    } catch (error) {
      if (this.#statementNames === undefined || !isMissingPreparedStatement(error)) throw error;
      return await attempt();
    }
  }

  /**
   * Checks a connection out for `work`, with an `error` listener attached while it is held, and
   * releases it afterwards: back to the pool, or destroyed after a connection-level failure (or
   * when `work` calls `held.discard`). Statements with parameters run as named prepared
   * statements when those are on.
   */
  async #withClient<T>(work: (run: StatementRunner, held: HeldConnection) => Promise<T>): Promise<T> {
    const pool = await this.pool();
    const client = await pool.connect();
    let broken: Error | undefined;
    const discard = (error: unknown): void => {
      broken ??= error instanceof Error ? error : new Error(String(error));
    };
    const held: HeldConnection = {
      discard,
      get broken() {
        return broken !== undefined;
      },
    };
    client.on('error', discard);
    const run: StatementRunner = async (text, values) => {
      const name = values === undefined ? undefined : this.#statementName(text);
      try {
        if (values === undefined) return await client.query(text);
        return await (name === undefined ? client.query(text, values) : client.query({ name, text, values }));
      } catch (error) {
        if (!keepsConnection(error)) discard(error);
        throw error;
      }
    };
    try {
      return await work(run, held);
    } finally {
      client.removeListener('error', discard);
      client.release(broken);
    }
  }

  /**
   * A name derived from the text, so two components (or two schemas) never give one name to two
   * different statements on a shared connection, which `pg` refuses.
   */
  #statementName(text: string): string | undefined {
    const names = this.#statementNames;
    if (names === undefined) return undefined;
    let name = names.get(text);
    if (name === undefined) {
      name = `chatdebug_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
      names.set(text, name);
    }
    return name;
  }

  /** Wraps a failure of `operation`, keeping secrets out of the message. */
  wrap(operation: string, error: unknown): ChatDebugError {
    return wrapDatabaseError(`${this.#component}.${operation}`, error, this.#secrets);
  }

  /** Ends the private pool, if one was created. Runs once; later calls do nothing. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const owned = this.#owned;
    if (!owned) return;
    const pool = await owned.catch(() => undefined);
    await pool?.end();
  }
}

