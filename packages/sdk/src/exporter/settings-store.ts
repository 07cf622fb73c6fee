/**
 * Where the enablement settings live (§1.3 of the reference): the admin "allow users" flag and
 * each user's opt-in. `undefined` means "no row", which reads as false.
 */
export interface SettingsStore {
  getAllowUsers(): Promise<boolean | undefined>;
  setAllowUsers(allow: boolean): Promise<void>;
  getUserEnabled(ownerId: string): Promise<boolean | undefined>;
  setUserEnabled(ownerId: string, enabled: boolean): Promise<void>;
  /** Retention in days; `undefined` means the default (30). 0 disables the purge. */
  getRetentionDays(): Promise<number | undefined>;
  setRetentionDays(days: number): Promise<void>;
}
