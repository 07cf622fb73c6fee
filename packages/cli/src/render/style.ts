import type { Status } from '@chatdebug/sdk';
import type { CliIo, CliOutput } from '../cli-io.js';

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  gray: [90, 39],
} as const;

/** A style name of {@link Style}. */
export type StyleName = keyof typeof CODES;

/** Applies ANSI styles when colors are on, and is the identity otherwise. */
export interface Style {
  readonly enabled: boolean;
  (name: StyleName, text: string): string;
  /** A status word colored by its meaning: green completed, red error, yellow interrupted, cyan in progress. */
  status(status: Status | string): string;
}

/**
 * Colors when `output` is a TTY, unless `--no-color`, `NO_COLOR` (any non-empty value) or
 * `TERM=dumb`; `FORCE_COLOR` (non-empty, not `0`) turns them on anywhere.
 */
export function colorsWanted(output: CliOutput, io: Pick<CliIo, 'env'>, flag: boolean): boolean {
  if (!flag) return false;
  const force = io.env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0') return true;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.TERM === 'dumb') return false;
  return output.isTTY === true;
}

/** Makes a {@link Style}. */
export function createStyle(enabled: boolean): Style {
  const style = ((name: StyleName, text: string): string => {
    if (!enabled || text === '') return text;
    const [open, close] = CODES[name];
    return `\u001b[${open}m${text}\u001b[${close}m`;
  }) as Style;
  Object.defineProperty(style, 'enabled', { value: enabled });
  style.status = (status: Status | string): string => style(STATUS_COLORS[status] ?? 'magenta', status);
  return style;
}

const STATUS_COLORS: Record<string, StyleName> = {
  completed: 'green',
  error: 'red',
  interrupted: 'yellow',
  in_progress: 'cyan',
};

/** Removes ANSI escapes (for width computations and tests). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
