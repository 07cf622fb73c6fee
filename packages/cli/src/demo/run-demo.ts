import OpenAI from 'openai';
import type { CliDatabase } from '../database/open-session.js';
import type { FinalizeStaleResult, Logger, RunWithSteps } from '@chatdebug/sdk';
import { DebugService, Tracer, consoleLogger, instrumentOpenAI, newId } from '@chatdebug/sdk';
import { runConversation } from './demo-conversation.js';
import { FakeLlmServer } from './fake-llm-server.js';

/** Options of {@link runDemo}. */
export interface RunDemoOptions {
  /** A migrated database (`openEmbedded()`, `openPostgres()`, or any exporter with a bus); it stays open. */
  database: CliDatabase;
  /** @defaultValue `consoleLogger` */
  logger?: Logger;
  /** Stops the demo between turns (it then rejects with an `AbortError`). */
  signal?: AbortSignal;
  /** Pause between streamed chunks of the fake provider, in milliseconds. @defaultValue 8 */
  chunkDelayMillis?: number;
}

/** What {@link runDemo} recorded. */
export interface DemoResult {
  /** The demo conversation's chat (a new one each time). */
  chatId: string;
  /** The chat's runs, oldest first, each with its steps, read back from the database. */
  runs: RunWithSteps[];
  /** What the stale sweep at the end finalized (the crashed worker's run and step). */
  sweep: FinalizeStaleResult;
  /** Requests the fake provider served (retries included). */
  providerRequests: number;
  /** Wall time of the conversation, the flush and the sweep, in milliseconds. */
  elapsedMillis: number;
}

/**
 * Runs the demo's agent conversation end to end against a local fake OpenAI-compatible server,
 * with the real `openai` client instrumented by `instrumentOpenAI`, recording into `database`;
 * then runs the stale sweep and reads the chat back.
 *
 * @example
 * ```ts
 * const database = await openEmbedded();
 * const { runs } = await runDemo({ database });
 * console.log(renderRunTree(runs, createStyle(false)));
 * await database.close();
 * ```
 */
export async function runDemo(options: RunDemoOptions): Promise<DemoResult> {
  const started = performance.now();
  const logger = options.logger ?? consoleLogger;
  const { database } = options;
  const service = new DebugService({ exporter: database.exporter, settings: database.settings, eventBus: database.eventBus, logger });
  const tracer = new Tracer({ service });
  const server = await FakeLlmServer.start({ chunkDelayMillis: options.chunkDelayMillis });
  const chatId = newId();
  try {
    const openai = instrumentOpenAI(new OpenAI({ apiKey: 'sk-demo-not-a-real-key', baseURL: server.baseURL, maxRetries: 2 }), { tracer });
    await runConversation({
      tracer,
      service,
      openai,
      server,
      chatId,
      checkAborted: () => options.signal?.throwIfAborted(),
    });
  } finally {
    const flushed = await tracer.shutdown();
    await server.close();
    if (flushed.timedOut) logger.warn('the demo could not write everything it recorded before the deadline', { pending: flushed.pending });
  }
  const stats = tracer.stats().pipeline;
  if (stats.failed > 0 || stats.dropped.queueFull + stats.dropped.orphaned + stats.dropped.shutdown > 0) {
    logger.warn('some of the demo\'s writes failed', { failed: stats.failed, dropped: stats.dropped });
  }
  // The crashed worker's run stopped heartbeating long ago: the sweep finalizes it as interrupted.
  const sweep = await service.finalizeStale();
  const newestFirst = await service.listRuns(chatId);
  const runs: RunWithSteps[] = [];
  for (const run of newestFirst.reverse()) runs.push({ run, steps: await service.listSteps(run.id) });
  return { chatId, runs, sweep, providerRequests: server.requestCount, elapsedMillis: performance.now() - started };
}
