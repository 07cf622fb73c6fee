import type { TableNames } from '../db/identifiers.js';

/** SQL of the settings store. */
export function settingsStatements({ siteSettings, userSettings }: TableNames) {
  return {
    getSite: `SELECT allow_users, retention_days FROM ${siteSettings} WHERE id`,
    setAllowUsers: `INSERT INTO ${siteSettings} (id, allow_users) VALUES (true, $1::boolean)
      ON CONFLICT (id) DO UPDATE SET allow_users = EXCLUDED.allow_users`,
    setRetentionDays: `INSERT INTO ${siteSettings} (id, retention_days) VALUES (true, $1::integer)
      ON CONFLICT (id) DO UPDATE SET retention_days = EXCLUDED.retention_days`,
    getUser: `SELECT debug_logging_enabled FROM ${userSettings} WHERE user_id = $1::text`,
    setUser: `INSERT INTO ${userSettings} (user_id, debug_logging_enabled) VALUES ($1::text, $2::boolean)
      ON CONFLICT (user_id) DO UPDATE SET debug_logging_enabled = EXCLUDED.debug_logging_enabled`,
  } as const;
}
