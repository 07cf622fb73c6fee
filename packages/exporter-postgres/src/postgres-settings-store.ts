import type { SettingsStore } from '@chatdebug/sdk';
import { InvalidArgumentError } from '@chatdebug/sdk';
import type { PostgresConnectionOptions } from './db/connection.js';
import { Connection } from './db/connection.js';
import { settingsStatements } from './sql/settings-statements.js';

/** Options of {@link PostgresSettingsStore}: where to connect and the schema. */
export type PostgresSettingsStoreOptions = PostgresConnectionOptions;

/** Largest accepted retention, in days (about ten years). */
export const MAX_RETENTION_DAYS = 3650;

/**
 * The enablement and retention settings (reference §1.3) in PostgreSQL: the admin "allow users"
 * flag, each user's opt-in, and the retention in days. A missing row or column reads as
 * `undefined` ("unset"), which the service treats as false (or, for retention, the default 30).
 */
export class PostgresSettingsStore implements SettingsStore {
  readonly #connection: Connection;
  readonly #sql: ReturnType<typeof settingsStatements>;

  constructor(options: PostgresSettingsStoreOptions) {
    this.#connection = new Connection(options, 'PostgresSettingsStore');
    this.#sql = settingsStatements(this.#connection.tables);
  }

  async getAllowUsers(): Promise<boolean | undefined> {
    return (await this.#site('getAllowUsers'))?.allow_users ?? undefined;
  }

  async setAllowUsers(allow: boolean): Promise<void> {
    if (typeof allow !== 'boolean') throw new InvalidArgumentError('allow', 'expected a boolean');
    await this.#connection.query('setAllowUsers', this.#sql.setAllowUsers, [allow]);
  }

  async getUserEnabled(ownerId: string): Promise<boolean | undefined> {
    const result = await this.#connection.query('getUserEnabled', this.#sql.getUser, [requireOwner(ownerId)]);
    return (result.rows[0] as { debug_logging_enabled: boolean } | undefined)?.debug_logging_enabled;
  }

  async setUserEnabled(ownerId: string, enabled: boolean): Promise<void> {
    if (typeof enabled !== 'boolean') throw new InvalidArgumentError('enabled', 'expected a boolean');
    await this.#connection.query('setUserEnabled', this.#sql.setUser, [requireOwner(ownerId), enabled]);
  }

  async getRetentionDays(): Promise<number | undefined> {
    const days = (await this.#site('getRetentionDays'))?.retention_days;
    return days === null || days === undefined ? undefined : Number(days);
  }

  /** Sets the retention: an integer from 0 (purge disabled) to {@link MAX_RETENTION_DAYS}. */
  async setRetentionDays(days: number): Promise<void> {
    if (!Number.isInteger(days) || days < 0 || days > MAX_RETENTION_DAYS) {
      throw new InvalidArgumentError('days', `expected an integer from 0 to ${MAX_RETENTION_DAYS}`);
    }
    await this.#connection.query('setRetentionDays', this.#sql.setRetentionDays, [days]);
  }

  /** Ends the pool this store created from a connection string; a pool passed in is left open. */
  async shutdown(): Promise<void> {
    await this.#connection.close();
  }

  async #site(operation: string): Promise<{ allow_users: boolean | null; retention_days: number | string | null } | undefined> {
    const result = await this.#connection.query(operation, this.#sql.getSite, []);
    return result.rows[0] as { allow_users: boolean | null; retention_days: number | string | null } | undefined;
  }
}

function requireOwner(ownerId: unknown): string {
  if (typeof ownerId !== 'string' || ownerId === '') throw new InvalidArgumentError('ownerId', 'expected a non-empty string');
  return ownerId;
}
