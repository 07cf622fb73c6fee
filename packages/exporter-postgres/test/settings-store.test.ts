import { DebugService, InvalidArgumentError, newId } from '@chatdebug/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PostgresSettingsStore } from '../src/index.js';
import type { TestDatabase } from './support.js';
import { BACKENDS, capturingLogger, openTestDatabase } from './support.js';

for (const backend of BACKENDS) {
  describe.skipIf(!backend.enabled)(`PostgresSettingsStore on ${backend.kind}`, () => {
    let t: TestDatabase;

    beforeAll(async () => {
      t = await openTestDatabase(backend.kind);
    });
    afterAll(async () => {
      await t?.close();
    });
    beforeEach(async () => {
      await t.truncate();
    });

    it('reads unset values as undefined', async () => {
      expect(await t.settings.getAllowUsers()).toBeUndefined();
      expect(await t.settings.getUserEnabled(newId())).toBeUndefined();
      expect(await t.settings.getRetentionDays()).toBeUndefined();
    });

    it('stores the admin flag, per-user opt-ins and retention independently', async () => {
      const alice = newId();
      const bob = 'user-bob';
      await t.settings.setAllowUsers(true);
      await t.settings.setUserEnabled(alice, true);
      await t.settings.setUserEnabled(bob, false);
      expect(await t.settings.getAllowUsers()).toBe(true);
      expect(await t.settings.getRetentionDays()).toBeUndefined();
      await t.settings.setRetentionDays(0);
      await t.settings.setAllowUsers(false);
      expect(await t.settings.getAllowUsers()).toBe(false);
      expect(await t.settings.getRetentionDays()).toBe(0);
      await t.settings.setRetentionDays(3650);
      expect(await t.settings.getRetentionDays()).toBe(3650);
      expect(await t.settings.getUserEnabled(alice)).toBe(true);
      expect(await t.settings.getUserEnabled(bob)).toBe(false);
      await t.settings.setUserEnabled(alice, false);
      expect(await t.settings.getUserEnabled(alice)).toBe(false);
    });

    it('rejects bad input at the boundary', async () => {
      await expect(t.settings.setRetentionDays(-1)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(t.settings.setRetentionDays(3651)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(t.settings.setRetentionDays(1.5)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(t.settings.setUserEnabled('', true)).rejects.toBeInstanceOf(InvalidArgumentError);
    });

    it('drives DebugService.isEnabled: admin allow alone is not enough, the owner must opt in', async () => {
      const service = new DebugService({ exporter: t.exporter, settings: t.settings, logger: capturingLogger().logger });
      const chat = newId();
      const owner = newId();
      expect(await service.isEnabled(chat, owner)).toBe(false);
      await t.settings.setAllowUsers(true);
      expect(await service.isEnabled(chat, owner)).toBe(false);
      await t.settings.setUserEnabled(owner, true);
      expect(await service.isEnabled(chat, owner)).toBe(true);
      expect(await service.isEnabled(chat, undefined)).toBe(false);
      await t.settings.setAllowUsers(false);
      expect(await service.isEnabled(chat, owner)).toBe(false);
    });

    it('a store in another schema sees other settings', async () => {
      await t.settings.setAllowUsers(true);
      const other = await openTestDatabase(backend.kind, { db: t.db });
      try {
        expect(await other.settings.getAllowUsers()).toBeUndefined();
        expect(other.settings).toBeInstanceOf(PostgresSettingsStore);
      } finally {
        await other.close();
      }
    });
  });
}
