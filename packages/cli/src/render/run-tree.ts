import type { RunRecord, RunWithSteps, StepRecord } from '@chatdebug/sdk';
import { formatAttempts, formatElapsed, formatTokens, oneLine, runLabel, runStepCount, runTokens, stepPreview, stepTokens } from './format.js';
import type { Style } from './style.js';
import { stripAnsi } from './style.js';

/** Options of {@link renderRunTree}. */
export interface RunTreeOptions {
  /** Width of the step previews. @defaultValue 60 */
  previewWidth?: number;
}

/**
 * Renders runs as a tree a person can read at a glance: per run its kind, status, model,
 * duration, token totals, step count and label, with its id below; per step its number,
 * operation, status, duration, tokens, attempt count and a one-line preview of its output or
 * error. Runs are printed in the order given.
 */
export function renderRunTree(runs: readonly RunWithSteps[], style: Style, options: RunTreeOptions = {}): string {
  const previewWidth = options.previewWidth ?? 60;
  const lines: string[] = [];
  const runRows = runs.map(({ run, steps }) => runCells(run, steps, style));
  const runWidths = columnWidths(runRows);
  runs.forEach(({ run, steps }, index) => {
    const lastRun = index === runs.length - 1;
    const branch = lastRun ? '└─ ' : '├─ ';
    const stem = lastRun ? '   ' : '│  ';
    lines.push(style('gray', branch) + joinCells(runRows[index] ?? [], runWidths));
    lines.push(style('gray', stem) + style('gray', `run ${run.id}`));
    const stepRows = steps.map((step) => stepCells(step, style));
    const stepWidths = columnWidths(stepRows);
    steps.forEach((step, stepIndex) => {
      const lastStep = stepIndex === steps.length - 1;
      const preview = stepPreview(step, previewWidth);
      const previewText = preview === undefined ? '' : preview.kind === 'error' ? style('red', `✗ ${preview.text}`) : style('dim', preview.text);
      const row = joinCells(stepRows[stepIndex] ?? [], stepWidths);
      lines.push(style('gray', stem + (lastStep ? '└─ ' : '├─ ')) + row + (previewText === '' ? '' : `  ${previewText}`));
    });
    if (!lastRun) lines.push(style('gray', '│'));
  });
  return lines.join('\n');
}

function runCells(run: RunRecord, steps: readonly StepRecord[], style: Style): string[] {
  const stepCount = runStepCount(run, steps) ?? steps.length;
  const label = runLabel(run);
  return [
    style('bold', run.kind),
    style.status(run.status),
    run.model ?? '-',
    formatElapsed(run),
    formatTokens(runTokens(run, steps)),
    stepCount === 1 ? '1 step' : `${stepCount} steps`,
    label === '' ? '' : style('dim', `"${oneLine(label, 48)}"`),
  ];
}

function stepCells(step: StepRecord, style: Style): string[] {
  return [
    style('bold', `#${step.stepNumber}`),
    step.operation,
    style.status(step.status),
    formatElapsed(step),
    formatTokens(stepTokens(step)),
    formatAttempts(step.attempts.length),
  ];
}

/** The display width of each column (the widest cell), ANSI escapes excluded. */
export function columnWidths(rows: readonly (readonly string[])[]): number[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, displayWidth(cell));
    });
  }
  return widths;
}

/** Joins cells with two spaces, padding each to its column width; trailing blanks trimmed. */
export function joinCells(cells: readonly string[], widths: readonly number[]): string {
  const padded = cells.map((cell, index) => (index === cells.length - 1 ? cell : cell + ' '.repeat(Math.max(0, (widths[index] ?? 0) - displayWidth(cell)))));
  return padded.join('  ').trimEnd();
}

function displayWidth(text: string): number {
  return Array.from(stripAnsi(text)).length;
}
