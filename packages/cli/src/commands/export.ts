import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import type { DebugService, RunWithSteps } from '@chatdebug/sdk';
import type { CliRuntime, CommonFlags } from '../command-context.js';
import { defineCommand, positiveInteger, requireUuidArgument } from '../command-context.js';
import { CliError } from '../cli-error.js';
import type { ExportDocument } from '../render/json-shapes.js';
import { EXPORT_RUN_LIMIT, exportDocument } from '../render/json-shapes.js';

interface ExportFlags extends CommonFlags {
  out?: string;
  limit?: string;
}

/** `chatdebug export <chatId | runId>`: a versioned JSON document of a chat's runs or of one run. */
export function exportCommand(runtime: CliRuntime): Command {
  const command = new Command('export')
    .summary('export a chat or one run as versioned JSON')
    .description(
      `Writes a JSON document {version: 1, scope, exported_at, chat_id, run_count, runs: [run with steps]} to stdout or --out. An id that names a run exports that run (scope "run", with run_id); otherwise it is taken as a chat id and the chat's newest runs are exported (scope "chat", with limited_to_most_recent, at most ${EXPORT_RUN_LIMIT} by default).`,
    )
    .argument('<id>', 'a run id or a chat id (UUID)')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--limit <n>', 'chat scope: at most this many of the newest runs', String(EXPORT_RUN_LIMIT))
    .addHelpText('after', '\nExamples:\n  chatdebug export $CHAT --out chat.json\n  chatdebug export $RUN | jq ".runs[0].steps | length"');
  return defineCommand<ExportFlags>(runtime, command, async (context, [idArg], flags) => {
    const id = requireUuidArgument('id', idArg);
    const limit = positiveInteger('--limit', flags.limit, EXPORT_RUN_LIMIT);
    const session = await context.openSession();
    let document: ExportDocument;
    try {
      document = await buildExport(session.service, id, limit, session.service.clock.now());
    } finally {
      await session.close();
    }
    const text = `${JSON.stringify(document, null, 2)}\n`;
    if (flags.out === undefined) {
      context.io.stdout.write(text);
      return;
    }
    const path = resolve(context.io.cwd, flags.out);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    if (context.json) context.printJson({ out: path, scope: document.scope, chat_id: document.chat_id, run_count: document.run_count, bytes: Buffer.byteLength(text) });
    else context.print(`exported ${document.run_count} run${document.run_count === 1 ? '' : 's'} (scope ${document.scope}) of chat ${document.chat_id} to ${path}`);
  });
}

/**
 * The export of `id`: the run with that id (scope `run`), else the newest `limit` runs of the
 * chat with that id (scope `chat`). Throws a not-found error when neither exists.
 */
export async function buildExport(service: DebugService, id: string, limit: number, now: Date): Promise<ExportDocument> {
  const single = await service.getRun(id);
  if (single) return exportDocument('run', single.run.chatId, [single], now);
  const runs = await service.listRuns(id, { limit });
  if (runs.length === 0) throw new CliError('not_found', `no run with id ${id}, and no chat with runs under that id`);
  const withSteps: RunWithSteps[] = [];
  for (const run of runs) withSteps.push({ run, steps: await service.listSteps(run.id) });
  return exportDocument('chat', id, withSteps, now, limit);
}
