import type { TableNames } from '../db/identifiers.js';

/**
 * One schema change. Shipped migrations never change: a new change is a new version. Each one
 * runs in its own transaction, and its version is recorded in the same transaction.
 */
export interface Migration {
  readonly version: number;
  /** snake_case, recorded next to the version. */
  readonly name: string;
  /** The statements, one per entry, for the given (validated, quoted) table names. */
  statements(tables: TableNames): readonly string[];
}
