#!/usr/bin/env node
import { processIo } from './cli-io.js';
import { runCli } from './cli.js';
import { EXIT_CODES } from './exit-codes.js';

// Ctrl-C (or SIGTERM) aborts the signal: `tail` and `sweep --every` stop cleanly with exit 0, other
// commands stop at their next checkpoint. A second Ctrl-C exits at once.
const controller = new AbortController();
const onSignal = (signal: NodeJS.Signals) => {
  if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? EXIT_CODES.interrupted : 143);
  controller.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// The reader went away (`chatdebug export … | head`): stop quietly, as other Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT_CODES.ok);
  throw error;
});

const code = await runCli(process.argv.slice(2), processIo(controller.signal));
process.exitCode = code;
// Exit once stdout is flushed; if something still holds the event loop open, exit anyway.
process.stdout.write('', () => setTimeout(() => process.exit(code), 1_000).unref());
