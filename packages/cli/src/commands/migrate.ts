import { Command } from 'commander';
import { LATEST_SCHEMA_VERSION } from '@chatdebug/exporter-postgres';
import type { CliRuntime, CommonFlags } from '../command-context.js';
import { defineCommand } from '../command-context.js';
import { describeTarget } from '../database/database-target.js';
import { migrateTarget } from '../database/open-session.js';

/** `chatdebug migrate`: creates or upgrades chatdebug's tables and prints the versions applied. */
export function migrateCommand(runtime: CliRuntime): Command {
  const command = new Command('migrate')
    .summary('create or upgrade the chatdebug tables')
    .description(
      `Applies the schema migrations (idempotent; safe to run from several places at once) to a PostgreSQL server or an embedded data directory (created when missing), and prints the versions applied. Latest schema version: ${LATEST_SCHEMA_VERSION}.`,
    )
    .addHelpText('after', '\nExamples:\n  chatdebug migrate --database-url postgres://app@db:5432/app --schema chatdebug\n  chatdebug migrate --data-dir .chatdebug/dev');
  return defineCommand<CommonFlags>(runtime, command, async (context) => {
    const target = context.target({ dataDir: '.chatdebug/demo', onlyIfExists: true });
    const result = await migrateTarget(target, context.logger);
    if (context.json) {
      context.printJson({ schema: result.schema, applied: result.applied, version: result.version, database: describeTarget(target) });
      return;
    }
    const where = `schema "${result.schema}" of ${describeTarget(target)}`;
    if (result.applied.length === 0) context.print(`${where} is up to date (version ${result.version})`);
    else context.print(`applied migration${result.applied.length === 1 ? '' : 's'} ${result.applied.join(', ')} to ${where}; now at version ${result.version}`);
  });
}
