import type { Logger } from '@chatdebug/sdk';
import { InvalidArgumentError, consoleLogger, describeError } from '@chatdebug/sdk';
import { connectionSecrets, scrubSecrets } from './database-errors.js';
import type { PgConnectionConfig } from './load-pg.js';
import { loadPg } from './load-pg.js';
import { nonNegativeMillis, positiveInteger } from './option-values.js';
import type { OwnedPool } from './queryable.js';

/** Default time to wait for a new connection: 10 seconds. */
export const DEFAULT_CONNECTION_TIMEOUT_MILLIS = 10_000;
/** Default `statement_timeout` of connections chatdebug opens: 30 seconds. */
export const DEFAULT_STATEMENT_TIMEOUT_MILLIS = 30_000;
/**
 * How much longer than the statement timeout the client waits for an answer by default: 5 seconds.
 * The server cancels a slow statement first (the connection survives); the client-side limit only
 * fires when the server or the network hangs, and destroys that connection.
 */
const QUERY_TIMEOUT_MARGIN_MILLIS = 5_000;
/** Default size of a pool chatdebug creates. */
export const DEFAULT_MAX_CONNECTIONS = 10;
/**
 * Default idle time before TCP keepalive probes start on connections chatdebug opens: 10 seconds
 * (node-postgres' 0 leaves it to the OS, two hours on Linux).
 */
export const DEFAULT_KEEPALIVE_INITIAL_DELAY_MILLIS = 10_000;

/** Options of {@link createPool}. */
export interface CreatePoolOptions {
  /** `postgres://user:password@host:port/database`. Never logged, never put in error messages. */
  connectionString: string;
  /**
   * How long to wait for a connection (and for a free pooled one) before failing, in milliseconds.
   * @defaultValue 10_000
   */
  connectionTimeoutMillis?: number;
  /**
   * Server-side `statement_timeout` of every connection, in milliseconds; 0 disables it.
   * @defaultValue 30_000
   */
  statementTimeoutMillis?: number;
  /**
   * Client-side limit on waiting for a statement's answer, in milliseconds (node-postgres'
   * `query_timeout`): when the server or the network hangs, the statement fails (a transient
   * error) and its connection is destroyed instead of being held forever. 0 disables it.
   * @defaultValue `statementTimeoutMillis` + 5_000 (35_000); 0 when the statement timeout is 0
   */
  queryTimeoutMillis?: number;
  /**
   * Idle time before the operating system starts TCP keepalive probes on each connection, in
   * milliseconds, so a peer that vanished without a reset (a partition, a dead host) is noticed.
   * @defaultValue 10_000
   */
  keepAliveInitialDelayMillis?: number;
  /** @defaultValue 10 */
  maxConnections?: number;
  /** @defaultValue 'chatdebug' */
  applicationName?: string;
  /** Receives a warning when an idle connection fails. @defaultValue `consoleLogger` */
  logger?: Logger;
}

/** The driver settings shared by pooled connections and the event listener's connection. */
export interface ResolvedConnectionSettings {
  connectionString: string;
  connectionTimeoutMillis: number;
  statementTimeoutMillis: number;
  queryTimeoutMillis: number;
  keepAliveInitialDelayMillis: number;
  applicationName: string;
}

/** Validates connection options and fills in the defaults. */
export function resolveConnectionSettings(options: Omit<CreatePoolOptions, 'maxConnections' | 'logger'>): ResolvedConnectionSettings {
  if (typeof options.connectionString !== 'string' || options.connectionString.trim() === '') {
    throw new InvalidArgumentError('connectionString', 'expected a non-empty connection string');
  }
  const statementTimeoutMillis = nonNegativeMillis('statementTimeoutMillis', options.statementTimeoutMillis, DEFAULT_STATEMENT_TIMEOUT_MILLIS);
  return {
    connectionString: options.connectionString,
    connectionTimeoutMillis: nonNegativeMillis('connectionTimeoutMillis', options.connectionTimeoutMillis, DEFAULT_CONNECTION_TIMEOUT_MILLIS),
    statementTimeoutMillis,
    queryTimeoutMillis: nonNegativeMillis(
      'queryTimeoutMillis',
      options.queryTimeoutMillis,
      statementTimeoutMillis === 0 ? 0 : statementTimeoutMillis + QUERY_TIMEOUT_MARGIN_MILLIS,
    ),
    keepAliveInitialDelayMillis: nonNegativeMillis('keepAliveInitialDelayMillis', options.keepAliveInitialDelayMillis, DEFAULT_KEEPALIVE_INITIAL_DELAY_MILLIS),
    applicationName: options.applicationName ?? 'chatdebug',
  };
}

/** node-postgres client settings for {@link ResolvedConnectionSettings}. */
export function clientConfig(settings: ResolvedConnectionSettings): PgConnectionConfig {
  return {
    connectionString: settings.connectionString,
    connectionTimeoutMillis: settings.connectionTimeoutMillis,
    statement_timeout: settings.statementTimeoutMillis,
    // node-postgres reads 0 as "no limit", like the server does for statement_timeout.
    query_timeout: settings.queryTimeoutMillis,
    application_name: settings.applicationName,
    keepAlive: true,
    keepAliveInitialDelayMillis: settings.keepAliveInitialDelayMillis,
  };
}

/**
 * Creates a `pg.Pool` (loading `pg`, an optional peer dependency, on first use) with the
 * timeouts set and `error` listeners attached (on the pool, and on every connection it opens),
 * so a dying connection is logged or reported to its borrower instead of crashing the process.
 * The caller owns the pool and ends it.
 *
 * @example
 * ```ts
 * const pool = await createPool({ connectionString: process.env.DATABASE_URL! });
 * await migrate(pool);
 * const exporter = new PostgresExporter({ pool });
 * // ...
 * await pool.end();
 * ```
 */
export async function createPool(options: CreatePoolOptions): Promise<OwnedPool> {
  const settings = resolveConnectionSettings(options);
  const max = positiveInteger('maxConnections', options.maxConnections, DEFAULT_MAX_CONNECTIONS);
  const logger = options.logger ?? consoleLogger;
  const pg = await loadPg();
  const pool = new pg.Pool({ ...clientConfig(settings), max });
  const secrets = connectionSecrets(settings.connectionString);
  pool.on('error', (error: Error) => {
    logger.warn('an idle PostgreSQL connection failed; the pool replaces it', { error: scrubSecrets(describeError(error), secrets) });
  });
  // pg-pool hands a new connection out while parsing the server's ReadyForQuery, but `connect()`
  // resolves a microtask later; a FATAL in the same chunk (the backend killed right after
  // connecting) is emitted in between, when neither the pool's nor the borrower's listener is
  // attached, and an 'error' event without a listener crashes the process. This one stays for
  // the connection's life; the borrower learns of the failure from its next statement.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  return pool;
}
