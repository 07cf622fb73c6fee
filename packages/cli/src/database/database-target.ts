import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { validateSchemaName } from '@chatdebug/exporter-postgres';
import type { CliIo } from '../cli-io.js';
import { CliError } from '../cli-error.js';

/** Where a command reads and writes: a PostgreSQL server, or an embedded PGlite database. */
export type DatabaseTarget =
  | { readonly kind: 'server'; readonly connectionString: string; readonly schema: string }
  /** `dataDir` undefined: in memory, gone when the command ends. */
  | { readonly kind: 'embedded'; readonly dataDir: string | undefined; readonly schema: string };

/** The database options every command accepts. */
export interface DatabaseFlags {
  databaseUrl?: string;
  dataDir?: string;
  schema?: string;
}

/** The demo's embedded database, relative to the working directory. */
export const DEMO_DATA_DIR = '.chatdebug/demo';

/**
 * Picks the database from the flags and the environment: `--data-dir` or `--database-url`
 * (not both), else `DATABASE_URL`, else `fallbackDataDir` (the demo's directory; for commands
 * other than `demo` only when it exists). The schema comes from `--schema`, else
 * `CHATDEBUG_SCHEMA`, else `public`.
 */
export function resolveTarget(flags: DatabaseFlags, io: Pick<CliIo, 'env' | 'cwd'>, fallback: { dataDir: string; onlyIfExists: boolean }): DatabaseTarget {
  const schema = resolveSchema(flags.schema ?? nonEmpty(io.env.CHATDEBUG_SCHEMA));
  if (flags.dataDir !== undefined && flags.databaseUrl !== undefined) {
    throw new CliError('usage', 'give either --data-dir or --database-url, not both');
  }
  if (flags.dataDir !== undefined) {
    if (flags.dataDir.trim() === '') throw new CliError('usage', '--data-dir: expected a directory');
    return { kind: 'embedded', dataDir: resolve(io.cwd, flags.dataDir), schema };
  }
  const url = flags.databaseUrl ?? nonEmpty(io.env.DATABASE_URL);
  if (url !== undefined) {
    if (url.trim() === '') throw new CliError('usage', '--database-url: expected a connection string');
    return { kind: 'server', connectionString: url, schema };
  }
  const dataDir = resolve(io.cwd, fallback.dataDir);
  if (fallback.onlyIfExists && !existsSync(dataDir)) {
    throw new CliError('usage', `no database given: pass --database-url URL (or set DATABASE_URL) or --data-dir DIR (the demo's ${fallback.dataDir} does not exist here)`);
  }
  return { kind: 'embedded', dataDir, schema };
}

/** A description of the target that is safe to print: host, port and database, never credentials. */
export function describeTarget(target: DatabaseTarget): string {
  if (target.kind === 'embedded') return target.dataDir === undefined ? 'an in-memory embedded database' : `the embedded database at ${target.dataDir}`;
  return `PostgreSQL at ${serverAddress(target.connectionString)}`;
}

/** `host:port/database` of a connection URL, or `the configured server` when it is not a URL. */
export function serverAddress(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    const host = url.hostname || url.searchParams.get('host') || 'localhost';
    const database = url.pathname.replace(/^\//, '');
    return `${host}${url.port ? `:${url.port}` : ''}${database ? `/${decodeURIComponent(database)}` : ''}`;
  } catch {
    return 'the configured server';
  }
}

/** The strings that must never be printed: connection strings and their passwords. */
export function secretsOf(connectionStrings: readonly (string | undefined)[]): string[] {
  const secrets: string[] = [];
  for (const value of connectionStrings) {
    if (value === undefined || value === '') continue;
    secrets.push(value);
    try {
      const password = new URL(value).password;
      if (password !== '') secrets.push(password, decodeURIComponent(password));
    } catch {
      // Not a URL: the whole string is already listed.
    }
  }
  return secrets;
}

/** Replaces each secret in `text` with `[REDACTED]`, longest first. */
export function scrub(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length > 0) result = result.split(secret).join('[REDACTED]');
  }
  return result;
}

function resolveSchema(schema: string | undefined): string {
  if (schema === undefined) return 'public';
  try {
    return validateSchemaName(schema);
  } catch (error) {
    throw new CliError('usage', `--schema: ${error instanceof Error ? error.message.replace(/^schema: /, '') : String(error)}`);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
