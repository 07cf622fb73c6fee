import type { Migration } from './migration.js';

/**
 * Enablement and retention settings (reference §1.3): one site row (admin allow-users flag,
 * retention days) and one row per user opt-in. A NULL column or a missing row means "unset".
 */
export const settings: Migration = {
  version: 2,
  name: 'settings',
  statements: ({ siteSettings, userSettings }) => [
    `CREATE TABLE ${siteSettings} (
      id boolean PRIMARY KEY DEFAULT true CONSTRAINT chat_debug_site_settings_single_row CHECK (id),
      allow_users boolean,
      retention_days integer CONSTRAINT chat_debug_site_settings_retention_check CHECK (retention_days BETWEEN 0 AND 3650)
    )`,
    `CREATE TABLE ${userSettings} (
      user_id text PRIMARY KEY,
      debug_logging_enabled boolean NOT NULL
    )`,
  ],
};
