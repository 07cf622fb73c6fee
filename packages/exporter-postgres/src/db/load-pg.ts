import { ChatDebugError } from '@chatdebug/sdk';
import type { ListenClientLike } from '../events/listen-client.js';
import type { OwnedPool } from './queryable.js';

/** The node-postgres settings chatdebug passes (a subset of `pg.ClientConfig`). */
export interface PgConnectionConfig {
  connectionString: string;
  connectionTimeoutMillis: number;
  statement_timeout: number;
  query_timeout: number;
  application_name: string;
  keepAlive: boolean;
  keepAliveInitialDelayMillis: number;
}

/** A `pg.Pool` as chatdebug uses it. */
export interface PgPool extends OwnedPool {
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'connect', listener: (client: { on(event: 'error', listener: (error: Error) => void): unknown }) => void): unknown;
}

/** The parts of the `pg` module chatdebug uses. */
export interface PgDriver {
  Pool: new (config: PgConnectionConfig & { max: number }) => PgPool;
  Client: new (config: PgConnectionConfig) => ListenClientLike;
}

/**
 * Loads node-postgres, an optional peer dependency, only when a connection string is used, so
 * nothing loads `pg` for a pool passed in or for embedded mode.
 */
export async function loadPg(): Promise<PgDriver> {
  try {
    const { default: pg } = await import('pg');
    return pg;
  } catch (error) {
    throw new ChatDebugError('exporter_failed', 'the "pg" package is needed to connect with a connection string; install it (npm install pg)', { cause: error });
  }
}
