import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { PoolLike } from '../src/index.js';
import { PostgresEventBus, PostgresExporter, PostgresSettingsStore } from '../src/index.js';
import { capturingLogger } from './support.js';

// The fallback `error` listener on a pool passed in, on a stand-in emitter (the real pool and a
// killed backend are in server-faults.test.ts).

const FALLBACK = 'an idle connection of the pool given to chatdebug failed';

/** An event emitter with the pool's shape; its statements are never run here. */
function fakePool(): PoolLike & EventEmitter {
  return Object.assign(new EventEmitter(), {
    query: async () => ({ rows: [] }),
    connect: async () => {
      throw new Error('not used');
    },
  });
}

describe('a pool passed in without an error listener', () => {
  it('gets one fallback listener, however many components share the pool, and its error is logged, not thrown', () => {
    const pool = fakePool();
    const { logger, lines } = capturingLogger();
    new PostgresExporter({ pool, logger });
    new PostgresSettingsStore({ pool, logger });
    new PostgresEventBus({ db: pool, logger });
    expect(pool.listenerCount('error')).toBe(1);
    expect(() => pool.emit('error', new Error('terminating connection due to administrator command'))).not.toThrow();
    const logged = lines.filter((line) => line.message.startsWith(FALLBACK));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 'warn' });
    expect(String(logged[0]?.attributes?.error)).toContain('administrator command');
  });

  it('stays silent once the owner listens, whether they attached theirs before or after', () => {
    for (const order of ['before', 'after'] as const) {
      const pool = fakePool();
      const seen: Error[] = [];
      const own = (error: Error) => void seen.push(error);
      if (order === 'before') pool.on('error', own);
      const { logger, lines } = capturingLogger();
      new PostgresExporter({ pool, logger });
      if (order === 'after') pool.on('error', own);
      pool.emit('error', new Error('lost'));
      expect(seen, order).toHaveLength(1);
      expect(lines.filter((line) => line.message.startsWith(FALLBACK)), order).toEqual([]);
    }
  });

  it('leaves pools that are not event emitters alone', () => {
    const pool: PoolLike = { query: async () => ({ rows: [] }), connect: async () => Promise.reject(new Error('not used')) };
    expect(() => new PostgresExporter({ pool })).not.toThrow();
  });
});
