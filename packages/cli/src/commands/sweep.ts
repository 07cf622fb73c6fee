import { Command } from 'commander';
import { DEFAULT_STALE_AFTER_MILLIS } from '@chatdebug/sdk';
import { sleep } from '../abortable.js';
import type { CliRuntime, CommonFlags } from '../command-context.js';
import { defineCommand } from '../command-context.js';
import { CliError } from '../cli-error.js';
import { formatDurationFlag, parseDuration } from '../duration.js';
import { toCliError } from '../to-cli-error.js';

interface SweepFlags extends CommonFlags {
  staleAfter: string;
  every?: string;
}

/** `chatdebug sweep`: finalizes stale runs and steps as interrupted, once or periodically. */
export function sweepCommand(runtime: CliRuntime): Command {
  const command = new Command('sweep')
    .summary('finalize stale runs and steps, once or every N')
    .description(
      'Marks open runs and steps that have not been written or heartbeated within --stale-after as interrupted (the steps of a run finalized this way too), and prints the counts. With --every it keeps sweeping at that interval until Ctrl-C (exit 0); a failed sweep is reported and retried at the next tick.',
    )
    .option('--stale-after <duration>', 'rows untouched this long are stale (e.g. 90s, 5m)', formatDurationFlag(DEFAULT_STALE_AFTER_MILLIS))
    .option('--every <duration>', 'sweep periodically at this interval until Ctrl-C (e.g. 30s)')
    .addHelpText('after', '\nExamples:\n  chatdebug sweep\n  chatdebug sweep --stale-after 2m --every 30s --json');
  return defineCommand<SweepFlags>(runtime, command, async (context, _args, flags) => {
    const staleAfter = parseDuration(flags.staleAfter, '--stale-after');
    const every = flags.every === undefined ? undefined : parseDuration(flags.every, '--every');
    if (staleAfter <= 0) throw new CliError('usage', '--stale-after: must be above zero');
    if (every !== undefined && every <= 0) throw new CliError('usage', '--every: must be above zero');
    const session = await context.openSession();
    try {
      session.service.setStaleAfter(staleAfter);
      const signal = context.io.signal;
      for (;;) {
        try {
          const result = await session.service.finalizeStale();
          const at = new Date();
          if (context.json) {
            context.printJson({ at: at.toISOString(), runs_finalized: result.runsFinalized, steps_finalized: result.stepsFinalized, stale_after_ms: staleAfter }, { ndjson: true });
          } else {
            const counts = `finalized ${plural(result.runsFinalized, 'run')} and ${plural(result.stepsFinalized, 'step')} untouched for ${formatDurationFlag(staleAfter)} or more`;
            context.print(every === undefined ? counts : `${at.toISOString()}  ${counts}`);
          }
        } catch (error) {
          if (every === undefined) throw error;
          context.note(`chatdebug: sweep failed, retrying in ${formatDurationFlag(every)}: ${toCliError(error).message}`);
        }
        if (every === undefined) return;
        await sleep(every, signal);
        if (signal?.aborted) return;
      }
    } finally {
      await session.close();
    }
  });
}

function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
}
