import { Command } from 'commander';
import type { CliRuntime, CommonFlags } from '../command-context.js';
import { defineCommand } from '../command-context.js';

/** `chatdebug demo`: placeholder until the demo lands. */
export function demoCommand(runtime: CliRuntime): Command {
  return defineCommand<CommonFlags>(runtime, new Command('demo'), async (context) => {
    context.print('demo');
  });
}
