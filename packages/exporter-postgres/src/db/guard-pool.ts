import type { Logger } from '@chatdebug/sdk';
import { describeError } from '@chatdebug/sdk';

/** A pool that reports failed idle connections as `error` events, as `pg.Pool` does. */
interface ErrorEmitter {
  on(event: 'error', listener: (error: Error) => void): unknown;
  listenerCount(event: 'error'): number;
}

/** Pools already given the fallback listener (one per pool, however many components share it). */
const guarded = new WeakSet<object>();

/**
 * Gives a pool passed in a last-resort `error` listener. node-postgres emits `error` on the pool
 * when the backend of an idle connection dies (a restart, `pg_terminate_backend`), and an `error`
 * event nobody listens to crashes the process; a pool made just for chatdebug must not take the
 * application down that way. The listener only speaks while it is the pool's only one: once the
 * pool's owner attaches theirs, the owner decides what a failed connection means, and this one
 * stays silent. Pools that are not event emitters (the PGlite adapter) are left alone.
 */
export function guardPool(pool: unknown, logger: Logger): void {
  if (!isErrorEmitter(pool) || guarded.has(pool)) return;
  guarded.add(pool);
  pool.on('error', (error) => {
    if (pool.listenerCount('error') > 1) return;
    logger.warn('an idle connection of the pool given to chatdebug failed; the pool replaces it (attach an "error" listener to the pool to handle this yourself)', {
      error: describeError(error),
    });
  });
}

function isErrorEmitter(value: unknown): value is ErrorEmitter {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<ErrorEmitter>;
  return typeof candidate.on === 'function' && typeof candidate.listenerCount === 'function';
}
