import type { SettingsStore } from '@chatdebug/sdk';
import { NIL_UUID, newId } from '@chatdebug/sdk';
import { describe, expect, it } from 'vitest';
import type { ContextAccessor } from '../context.js';

/** The harness's settings with one read replaced by a failure. */
function failingSettings(base: SettingsStore, failing: 'getAllowUsers' | 'getUserEnabled'): SettingsStore {
  return {
    getAllowUsers: failing === 'getAllowUsers' ? () => Promise.reject(new Error('settings unavailable')) : () => base.getAllowUsers(),
    setAllowUsers: (allow) => base.setAllowUsers(allow),
    getUserEnabled: failing === 'getUserEnabled' ? () => Promise.reject(new Error('settings unavailable')) : (owner) => base.getUserEnabled(owner),
    setUserEnabled: (owner, enabled) => base.setUserEnabled(owner, enabled),
    getRetentionDays: () => base.getRetentionDays(),
    setRetentionDays: (days) => base.setRetentionDays(days),
  };
}

/** §3.2 and behaviours 1–4: enablement is fail-closed, checked in a fixed order. */
export function registerIsEnabledCases(ctx: ContextAccessor): void {
  describe('§3.2 isEnabled', () => {
    it('[#1] default off; admin allow alone is not enough; user opt-in → true; opt-out → false', async () => {
      const c = ctx();
      const chat = c.chat();
      const owner = newId();
      expect(await c.service.isEnabled(chat, owner)).toBe(false);
      await c.harness.settings.setAllowUsers(true);
      expect(await c.service.isEnabled(chat, owner)).toBe(false);
      await c.harness.settings.setUserEnabled(owner, true);
      expect(await c.service.isEnabled(chat, owner)).toBe(true);
      await c.harness.settings.setUserEnabled(owner, false);
      expect(await c.service.isEnabled(chat, owner)).toBe(false);
    });

    it('[#2] a nil owner is refused (with a warning) even when the admin allows', async () => {
      const c = ctx();
      await c.harness.settings.setAllowUsers(true);
      expect(await c.service.isEnabled(c.chat(), undefined)).toBe(false);
      expect(await c.service.isEnabled(c.chat(), NIL_UUID)).toBe(false);
      expect(await c.service.isEnabled(c.chat(), '')).toBe(false);
      expect(c.logger.warnings().length).toBeGreaterThanOrEqual(3);
    });

    it('[#3] alwaysEnable → true for any owner, including nil, whatever the settings say', async () => {
      const c = ctx();
      await c.harness.settings.setAllowUsers(false);
      const forced = c.newService({ alwaysEnable: true });
      const noSettings = c.newService({ alwaysEnable: true, settings: undefined });
      for (const service of [forced, noSettings]) {
        expect(await service.isEnabled(c.chat(), newId())).toBe(true);
        expect(await service.isEnabled(c.chat(), undefined)).toBe(true);
        expect(await service.isEnabled(c.chat(), NIL_UUID)).toBe(true);
      }
    });

    it('[#4] a service without a settings store is off, even for an opted-in owner', async () => {
      const c = ctx();
      const owner = newId();
      await c.harness.settings.setAllowUsers(true);
      await c.harness.settings.setUserEnabled(owner, true);
      const bare = c.newService({ settings: undefined });
      expect(await bare.isEnabled(c.chat(), owner)).toBe(false);
      expect(await c.service.isEnabled(c.chat(), owner)).toBe(true);
    });

    it('the admin flag is checked first: an opt-in without the admin allow stays off', async () => {
      const c = ctx();
      const owner = newId();
      await c.harness.settings.setUserEnabled(owner, true);
      expect(await c.service.isEnabled(c.chat(), owner)).toBe(false);
      await c.harness.settings.setAllowUsers(false);
      expect(await c.service.isEnabled(c.chat(), owner)).toBe(false);
      await c.harness.settings.setAllowUsers(true);
      expect(await c.service.isEnabled(c.chat(), owner)).toBe(true);
    });

    it('opt-ins are per owner', async () => {
      const c = ctx();
      const optedIn = newId();
      const other = newId();
      await c.harness.settings.setAllowUsers(true);
      await c.harness.settings.setUserEnabled(optedIn, true);
      expect(await c.service.isEnabled(c.chat(), optedIn)).toBe(true);
      expect(await c.service.isEnabled(c.chat(), other)).toBe(false);
    });

    it('settings read failures fail closed with a warning', async () => {
      const c = ctx();
      const owner = newId();
      await c.harness.settings.setAllowUsers(true);
      await c.harness.settings.setUserEnabled(owner, true);
      for (const failing of ['getAllowUsers', 'getUserEnabled'] as const) {
        const service = c.newService({ settings: failingSettings(c.harness.settings, failing) });
        expect(await service.isEnabled(c.chat(), owner)).toBe(false);
      }
      expect(c.logger.warnings()).toHaveLength(2);
    });
  });
}
