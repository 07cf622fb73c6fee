import { Command } from 'commander';
import type { DebugEvent, Unsubscribe } from '@chatdebug/sdk';
import { untilAborted } from '../abortable.js';
import type { CliRuntime, CommonFlags } from '../command-context.js';
import { defineCommand, requireUuidArgument } from '../command-context.js';
import { describeTarget } from '../database/database-target.js';
import type { DatabaseSession } from '../database/open-session.js';
import type { ObservedEvent } from '../render/event-line.js';
import { eventJson, eventLine } from '../render/event-line.js';
import { toCliError } from '../to-cli-error.js';

/** How long Ctrl-C waits for the lines of events already received. */
const DRAIN_MILLIS = 2_000;

/** `chatdebug tail [chatId]`: follows change events live until Ctrl-C. */
export function tailCommand(runtime: CliRuntime): Command {
  const command = new Command('tail')
    .summary('follow live change events until Ctrl-C')
    .description(
      "Prints each change as it lands: the event kind, the ids, and a one-line summary of the row read back. With a chat id it follows that chat (and the sweeps); without one, the broadcast channel (stale sweeps, retention purges). On a server it uses LISTEN/NOTIFY, so it sees writes from every process; an embedded database sees only writes made in the same process. Ctrl-C stops it with exit code 0. A ready line goes to stderr once listening.",
    )
    .argument('[chatId]', 'the chat to follow (a UUID)')
    .addHelpText('after', '\nExamples:\n  chatdebug tail 0193f3c1-8e2a-7c4d-9b1e-2f6a5d4c3b21\n  chatdebug tail $CHAT --json | jq -c "select(.kind == \\"step_update\\")"');
  return defineCommand<CommonFlags>(runtime, command, async (context, [chatArg]) => {
    const chatId = chatArg === undefined ? undefined : requireUuidArgument('chatId', chatArg);
    const session = await context.openSession();
    const unsubscribes: Unsubscribe[] = [];
    let printing: Promise<void> = Promise.resolve();
    const show = (observed: ObservedEvent) => {
      if (context.json) context.printJson(eventJson(observed), { ndjson: true });
      else context.print(eventLine(observed, context.style));
    };
    const onEvent = (event: DebugEvent) => {
      const receivedAt = new Date();
      // One line per event, in arrival order, each with the row as it is when read back.
      printing = printing.then(async () => {
        try {
          show(await observe(session, event, receivedAt));
        } catch (error) {
          context.logger.warn(`could not read back the row of a ${event.kind} event: ${toCliError(error).message}`);
          show({ event, receivedAt });
        }
      });
    };
    try {
      if (chatId !== undefined) unsubscribes.push(await session.database.eventBus.subscribe(chatId, onEvent));
      unsubscribes.push(await session.database.eventBus.subscribe('broadcast', onEvent));
      const where = session.target ? describeTarget(session.target) : 'the given database';
      context.note(`chatdebug: following ${chatId === undefined ? 'the broadcast channel (sweeps and purges; pass a chat id to follow a chat)' : `chat ${chatId}`} on ${where}; Ctrl-C to stop`);
      await untilAborted(context.io.signal);
    } finally {
      for (const unsubscribe of unsubscribes) await unsubscribe().catch(() => undefined);
      await Promise.race([printing, new Promise((resolve) => setTimeout(resolve, DRAIN_MILLIS).unref())]);
      await session.close();
    }
  });
}

async function observe(session: DatabaseSession, event: DebugEvent, receivedAt: Date): Promise<ObservedEvent> {
  const observed: ObservedEvent = { event, receivedAt };
  if (event.kind === 'run_update') {
    observed.run = await session.service.exporter.getRun(event.runId);
  } else if (event.kind === 'step_update') {
    observed.step = (await session.service.listSteps(event.runId)).find((step) => step.id === event.stepId);
  }
  return observed;
}
