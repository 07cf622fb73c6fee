import type { SettingsStore } from '@chatdebug/sdk';

/** Initial values of a {@link MemorySettingsStore}; absent means "no row". */
export interface MemorySettingsStoreOptions {
  allowUsers?: boolean;
  /** Owner id → opted in. */
  users?: Readonly<Record<string, boolean>>;
  retentionDays?: number;
}

/**
 * The settings port in memory: the admin "allow users" flag, per-user opt-ins and retention
 * days. Unset values read as `undefined` ("no row"), as the port requires.
 *
 * @example
 * ```ts
 * const settings = new MemorySettingsStore({ allowUsers: true, users: { [ownerId]: true } });
 * const service = new DebugService({ exporter, settings });
 * await service.isEnabled(chatId, ownerId); // true
 * ```
 */
export class MemorySettingsStore implements SettingsStore {
  #allowUsers: boolean | undefined;
  readonly #users = new Map<string, boolean>();
  #retentionDays: number | undefined;

  constructor(options: MemorySettingsStoreOptions = {}) {
    this.#load(options);
  }

  async getAllowUsers(): Promise<boolean | undefined> {
    return this.#allowUsers;
  }

  async setAllowUsers(allow: boolean): Promise<void> {
    this.#allowUsers = allow;
  }

  async getUserEnabled(ownerId: string): Promise<boolean | undefined> {
    return this.#users.get(ownerId.toLowerCase());
  }

  async setUserEnabled(ownerId: string, enabled: boolean): Promise<void> {
    this.#users.set(ownerId.toLowerCase(), enabled);
  }

  async getRetentionDays(): Promise<number | undefined> {
    return this.#retentionDays;
  }

  async setRetentionDays(days: number): Promise<void> {
    if (!Number.isInteger(days) || days < 0) throw new RangeError('retention days must be an integer ≥ 0');
    this.#retentionDays = days;
  }

  /** Forgets every setting, then applies `options` (none by default). */
  reset(options: MemorySettingsStoreOptions = {}): void {
    this.#allowUsers = undefined;
    this.#users.clear();
    this.#retentionDays = undefined;
    this.#load(options);
  }

  #load(options: MemorySettingsStoreOptions): void {
    this.#allowUsers = options.allowUsers;
    for (const [owner, enabled] of Object.entries(options.users ?? {})) this.#users.set(owner.toLowerCase(), enabled);
    this.#retentionDays = options.retentionDays;
  }
}
