import { InvalidArgumentError } from '@chatdebug/sdk';

/**
 * Schema names chatdebug accepts: a lowercase letter or underscore, then up to 39 lowercase
 * letters, digits or underscores. Names starting with `pg_` are reserved by PostgreSQL.
 */
export const SCHEMA_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,39}$/;

/** The schema used when none is given. */
export const DEFAULT_SCHEMA = 'public';

/** Validates a schema name; throws `InvalidArgumentError` (field `schema`) otherwise. */
export function validateSchemaName(schema: unknown): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME_PATTERN.test(schema)) {
    throw new InvalidArgumentError('schema', `expected a name matching ${SCHEMA_NAME_PATTERN.source}`);
  }
  if (schema.startsWith('pg_')) throw new InvalidArgumentError('schema', 'names starting with "pg_" are reserved by PostgreSQL');
  return schema;
}

/** Double-quotes an identifier (or a LISTEN channel name), doubling embedded quotes. */
export function quoteIdentifier(name: string): string {
  if (name.length === 0 || name.includes('\u0000')) throw new InvalidArgumentError('identifier', 'expected a non-empty name without NUL characters');
  return `"${name.replaceAll('"', '""')}"`;
}

/** Schema-qualified, quoted names of chatdebug's tables. */
export interface TableNames {
  /** The validated, unquoted schema name. */
  readonly schema: string;
  readonly runs: string;
  readonly steps: string;
  readonly siteSettings: string;
  readonly userSettings: string;
  readonly migrations: string;
}

/** Resolves the quoted table names for a schema (validated first). */
export function tableNames(schema: string = DEFAULT_SCHEMA): TableNames {
  const valid = validateSchemaName(schema);
  const qualify = (table: string) => `${quoteIdentifier(valid)}.${quoteIdentifier(table)}`;
  return {
    schema: valid,
    runs: qualify('chat_debug_runs'),
    steps: qualify('chat_debug_steps'),
    siteSettings: qualify('chat_debug_site_settings'),
    userSettings: qualify('chat_debug_user_settings'),
    migrations: qualify('chat_debug_schema_migrations'),
  };
}

/**
 * Name of the unique index on (run_id, step_number). A unique violation (SQLSTATE 23505) on this
 * constraint means the step number is taken; index names are per schema, so it is the same in
 * every schema.
 */
export const STEP_NUMBER_CONSTRAINT = 'idx_chat_debug_steps_run_step';
