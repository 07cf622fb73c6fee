import { Command } from 'commander';
import type { CliRuntime, CommonFlags } from '../command-context.js';
import { defineCommand, requireUuidArgument } from '../command-context.js';
import { CliError } from '../cli-error.js';
import { runWithStepsJson } from '../render/json-shapes.js';
import { renderRunDetail } from '../render/run-detail.js';

interface ShowFlags extends CommonFlags {
  full?: boolean;
}

/** `chatdebug show <runId>`: one run with its steps, attempts and payloads. */
export function showCommand(runtime: CliRuntime): Command {
  const command = new Command('show')
    .summary('show one run with its steps, attempts and payloads')
    .description(
      'Shows one run: its fields, then each step with the last prompt messages, the output, usage, error, metadata and HTTP attempts. Long texts are cut unless --full, which also prints the raw normalized payloads and the attempts\' headers and bodies. --json prints the whole run, never cut.',
    )
    .argument('<runId>', 'the run (a UUID)')
    .option('--full', 'every message, whole texts, raw payloads and HTTP bodies')
    .addHelpText('after', '\nExamples:\n  chatdebug show 0193f3c1-8e2a-7c4d-9b1e-2f6a5d4c3b21\n  chatdebug show $RUN --full | less -R');
  return defineCommand<ShowFlags>(runtime, command, async (context, [runArg], flags) => {
    const runId = requireUuidArgument('runId', runArg);
    const session = await context.openSession();
    try {
      const found = await session.service.getRun(runId);
      if (!found) throw new CliError('not_found', `run ${runId} not found`);
      if (context.json) context.printJson(runWithStepsJson(found));
      else context.print(renderRunDetail(found, context.style, { full: flags.full === true }));
    } finally {
      await session.close();
    }
  });
}
