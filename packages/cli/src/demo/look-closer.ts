import { resolve } from 'node:path';
import type { RunWithSteps } from '@chatdebug/sdk';
import type { DatabaseTarget } from '../database/database-target.js';
import { DEMO_DATA_DIR, describeTarget } from '../database/database-target.js';
import type { Style } from '../render/style.js';
import { shellWord } from '../shell-command.js';

/** What {@link lookCloserLines} needs to know about the demo that ran. */
export interface LookCloserOptions {
  chatId: string;
  runs: readonly RunWithSteps[];
  /** Where the demo recorded. */
  target: DatabaseTarget;
  /** True when the server came from `--database-url` rather than `DATABASE_URL`. */
  urlFromFlag: boolean;
  /** The working directory: the demo's default data directory is resolved against it. */
  cwd: string;
  /** How to invoke the CLI: `pnpm chatdebug` or `chatdebug` (see `shellCommand`). */
  command: string;
  style: Style;
}

/**
 * The demo's closing "Look closer:" lines: commands to copy that read what the demo just recorded,
 * with the flags that point them at the same database. Empty for an in-memory database (gone by
 * then). The connection string is never printed: a server is named by host, port and database,
 * and the reader is told to pass the same URL, since without it the commands would fall back to
 * `.chatdebug/demo` and find nothing there.
 */
export function lookCloserLines(options: LookCloserOptions): string[] {
  const { chatId, target, command, style } = options;
  if (target.kind === 'embedded' && target.dataDir === undefined) return [];
  const flags: string[] = [];
  if (target.kind === 'embedded' && target.dataDir !== resolve(options.cwd, DEMO_DATA_DIR)) flags.push('--data-dir', shellWord(target.dataDir ?? ''));
  if (target.schema !== 'public') flags.push('--schema', target.schema);
  const line = (args: string, comment?: string) => `  ${[command, args, ...flags].join(' ')}${comment === undefined ? '' : `   ${style('dim', `# ${comment}`)}`}`;

  const lines = ['', 'Look closer:'];
  if (target.kind === 'server') {
    const how = options.urlFromFlag ? 'add the same --database-url' : 'with the same DATABASE_URL exported';
    lines[1] = `Look closer (${how}: ${describeTarget(target)}):`;
  }
  lines.push(line(`runs ${chatId}`));
  const retried = options.runs.find(({ steps }) => steps.some((step) => step.attempts.length > 1 && step.status === 'completed'));
  if (retried) lines.push(line(`show ${retried.run.id}`, 'the rate-limited turn: two attempts in one step'));
  lines.push(line(`export ${chatId} --out chat.json`));
  // Only a server delivers other processes' writes (LISTEN/NOTIFY); on an embedded directory tail
  // would see nothing and hold the directory's lock, so the next demo would stop with "in use".
  if (target.kind === 'server') lines.push(line(`tail ${chatId}`, 'follow it live, from another terminal'));
  return lines;
}
