import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatDebugError } from '@chatdebug/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PGliteAdapter } from '../src/index.js';
import { createPGliteDb, migrate, openEmbedded } from '../src/index.js';
import { capturingLogger, eventually } from './support.js';

describe('PGliteAdapter', () => {
  let db: PGliteAdapter;

  beforeAll(async () => {
    db = await createPGliteDb();
    await db.query('CREATE TABLE items (id integer PRIMARY KEY, label text)');
  });
  afterAll(async () => {
    await db?.end();
  });

  it('runs parameterized statements and parameterless multi-statement text, like pg', async () => {
    const inserted = await db.query('INSERT INTO items (id, label) VALUES ($1, $2), ($3, $4)', [1, 'a', 2, 'b']);
    expect(inserted.rowCount).toBe(2);
    const last = await db.query('UPDATE items SET label = upper(label); SELECT id, label FROM items ORDER BY id');
    expect(last.rows).toEqual([
      { id: 1, label: 'A' },
      { id: 2, label: 'B' },
    ]);
    await db.query('DELETE FROM items');
  });

  it('a held client keeps the connection: other statements wait until it is released', async () => {
    const order: string[] = [];
    const client = await db.connect();
    await client.query('BEGIN');
    await client.query('INSERT INTO items (id, label) VALUES ($1, $2)', [10, 'held']);
    const outside = db.query('SELECT count(*)::int AS n FROM items').then((result) => {
      order.push('outside');
      return result.rows;
    });
    await client.query('INSERT INTO items (id, label) VALUES ($1, $2)', [11, 'held']);
    await client.query('COMMIT');
    order.push('commit');
    client.release();
    expect(await outside).toEqual([{ n: 2 }]);
    expect(order).toEqual(['commit', 'outside']);
    await db.query('DELETE FROM items');
  });

  it('releasing a client inside a transaction rolls it back; a released client refuses statements', async () => {
    const client = await db.connect();
    await client.query('BEGIN');
    await client.query('INSERT INTO items (id, label) VALUES ($1, $2)', [20, 'lost']);
    client.release();
    expect((await db.query('SELECT count(*)::int AS n FROM items')).rows).toEqual([{ n: 0 }]);
    await expect(client.query('SELECT 1')).rejects.toBeInstanceOf(ChatDebugError);
  });

  it('delivers notifications to every listener of a channel until the last one stops', async () => {
    const a: string[] = [];
    const b: string[] = [];
    const stopA = await db.listenNotifications('chat_debug:x', (payload) => a.push(payload));
    const stopB = await db.listenNotifications('chat_debug:x', (payload) => b.push(payload));
    await db.query('SELECT pg_notify($1, $2)', ['chat_debug:x', 'one']);
    await eventually(() => a.length === 1 && b.length === 1);
    await stopA();
    await db.query('SELECT pg_notify($1, $2)', ['chat_debug:x', 'two']);
    await eventually(() => b.length === 2);
    expect(a).toEqual(['one']);
    await stopB();
    const listening = await db.query('SELECT count(*)::int AS n FROM pg_listening_channels() AS c WHERE c = $1', ['chat_debug:x']);
    expect(listening.rows).toEqual([{ n: 0 }]);
  });
});

describe('embedded mode', () => {
  it('openEmbedded with a data directory keeps the data across restarts; end() closes an owned instance once', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'chatdebug-pglite-'));
    try {
      const first = await openEmbedded({ dataDir, schema: 'chatdebug', logger: capturingLogger().logger });
      await first.settings.setRetentionDays(7);
      await first.close();
      await first.close();
      await expect(first.db.query('SELECT 1')).rejects.toMatchObject({ code: 'shutdown' });
      const second = await createPGliteDb({ dataDir });
      try {
        expect(await migrate(second, { schema: 'chatdebug', logger: capturingLogger().logger })).toMatchObject({ applied: [] });
        expect((await second.query('SELECT retention_days FROM chatdebug.chat_debug_site_settings')).rows).toEqual([{ retention_days: 7 }]);
      } finally {
        await second.end();
      }
      await second.end();
      expect(second.pglite.closed).toBe(true);
      await expect(second.query('SELECT 1')).rejects.toMatchObject({ code: 'shutdown' });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
