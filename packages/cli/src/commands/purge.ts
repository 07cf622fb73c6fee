import { Command } from 'commander';
import type { CliRuntime, CommonFlags } from '../command-context.js';
import { defineCommand, positiveInteger } from '../command-context.js';
import { formatDurationFlag, parseDuration } from '../duration.js';

interface PurgeFlags extends CommonFlags {
  olderThan: string;
  batchSize?: string;
  dryRun?: boolean;
}

/** Runs deleted per statement unless `--batch-size` says otherwise. */
const DEFAULT_BATCH_SIZE = 1000;

/** `chatdebug purge --older-than <duration>`: retention delete in batches. */
export function purgeCommand(runtime: CliRuntime): Command {
  const command = new Command('purge')
    .summary('delete runs not updated for a while (retention), in batches')
    .description(
      'Deletes runs of any status (their steps go with them) whose last write is older than --older-than, oldest first, in batches of --batch-size, with a progress line on stderr. --dry-run only counts them.',
    )
    .requiredOption('--older-than <duration>', 'delete runs last updated longer ago than this (e.g. 30d, 12h)')
    .option('--batch-size <n>', 'runs deleted per statement', String(DEFAULT_BATCH_SIZE))
    .option('--dry-run', 'count what would be deleted; delete nothing')
    .addHelpText('after', '\nExamples:\n  chatdebug purge --older-than 30d --dry-run\n  chatdebug purge --older-than 7d --batch-size 5000 --json');
  return defineCommand<PurgeFlags>(runtime, command, async (context, _args, flags) => {
    const olderThan = parseDuration(flags.olderThan, '--older-than');
    const batchSize = positiveInteger('--batch-size', flags.batchSize, DEFAULT_BATCH_SIZE);
    const dryRun = flags.dryRun === true;
    const session = await context.openSession();
    const stderr = context.io.stderr;
    const inPlace = stderr.isTTY === true;
    let progressShown = false;
    try {
      const result = await session.service.purgeExpired({
        olderThanMillis: olderThan,
        batchSize,
        dryRun,
        onProgress: (deleted, total) => {
          if (context.json && !inPlace) return;
          const line = `purging: ${deleted.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} runs deleted`;
          progressShown = true;
          if (inPlace) stderr.write(`\r\u001b[2K${line}`);
          else stderr.write(`${line}\n`);
        },
      });
      if (progressShown && inPlace) stderr.write('\n');
      const before = result.updatedBefore?.toISOString() ?? '';
      if (context.json) {
        context.printJson({ deleted: result.deleted, dry_run: dryRun, updated_before: before, older_than_ms: olderThan, batch_size: batchSize });
        return;
      }
      const runs = `${result.deleted.toLocaleString('en-US')} run${result.deleted === 1 ? '' : 's'}`;
      const age = `not updated for ${formatDurationFlag(olderThan)} (before ${before})`;
      context.print(dryRun ? `dry run: would delete ${runs} ${age}` : `deleted ${runs} ${age}`);
    } finally {
      await session.close();
    }
  });
}
