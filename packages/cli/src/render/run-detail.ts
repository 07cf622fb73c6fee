import type { JsonValue, RunWithSteps, StepRecord } from '@chatdebug/sdk';
import { isJsonObject } from '@chatdebug/sdk';
import {
  errorText,
  finishReason,
  formatAttempts,
  formatElapsed,
  formatJson,
  formatTokens,
  messagesOf,
  oneLine,
  outputText,
  runLabel,
  runStepCount,
  runTokens,
  stepTokens,
  usageText,
} from './format.js';
import type { Style } from './style.js';

/** Options of {@link renderRunDetail}. */
export interface RunDetailOptions {
  /** Show every message, whole texts, and the raw payloads and HTTP bodies. @defaultValue false */
  full: boolean;
}

/** How many of the last prompt messages are shown without `--full`. */
const SHOWN_MESSAGES = 4;
/** Width of texts shown without `--full`. */
const TEXT_WIDTH = 200;

/**
 * Renders one run with its steps: the run's fields, then per step its request (the last
 * messages), output, usage, error, metadata and HTTP attempts. Texts are cut sensibly unless
 * `full`, which adds the raw normalized payloads and the attempts' headers and bodies.
 */
export function renderRunDetail({ run, steps }: RunWithSteps, style: Style, options: RunDetailOptions): string {
  const lines: string[] = [];
  const field = (name: string, value: string) => lines.push(`${style('gray', name.padEnd(10))} ${value}`);
  lines.push(`${style('bold', `${run.kind}`)}  ${style.status(run.status)}  ${style('gray', run.id)}`);
  field('chat', run.chatId);
  if (runLabel(run) !== '') field('label', `"${clip(runLabel(run), options)}"`);
  field('model', [run.provider, run.model].filter((part) => part !== null).join(' / ') || '-');
  field('started', run.startedAt.toISOString());
  field('finished', run.finishedAt?.toISOString() ?? style('cyan', 'not yet'));
  field('duration', formatElapsed(run));
  field('steps', String(runStepCount(run, steps) ?? steps.length));
  const tokens = formatTokens(runTokens(run, steps));
  if (tokens !== '') field('tokens', tokens);
  if (run.summary.has_error === true) field('has error', style('red', 'yes'));
  if (typeof run.summary.endpoint_label === 'string') field('endpoint', run.summary.endpoint_label);
  if (run.triggerMessageId !== null) field('trigger', `message ${run.triggerMessageId}`);
  if (run.historyTipMessageId !== null) field('history', `up to message ${run.historyTipMessageId}`);

  for (const step of steps) {
    lines.push('');
    lines.push(...renderStep(step, style, options));
  }
  if (steps.length === 0) lines.push('', style('dim', '(no steps)'));
  return lines.join('\n');
}

function renderStep(step: StepRecord, style: Style, options: RunDetailOptions): string[] {
  const lines: string[] = [];
  const head = [
    style('bold', `Step ${step.stepNumber}`),
    step.operation,
    style.status(step.status),
    formatElapsed(step),
    formatTokens(stepTokens(step)),
    formatAttempts(step.attempts.length),
  ].filter((cell) => cell !== '');
  lines.push(head.join('  '));
  const indent = '    ';
  const section = (name: string) => lines.push(`  ${style('cyan', name)}`);

  const messages = messagesOf(step.normalizedRequest);
  if (messages.length > 0) {
    const shown = options.full ? messages : messages.slice(-SHOWN_MESSAGES);
    section(`request (${messages.length} message${messages.length === 1 ? '' : 's'}${shown.length < messages.length ? `, last ${shown.length} shown` : ''})`);
    for (const message of shown) lines.push(`${indent}${style('gray', `${message.role}:`)} ${clip(message.text, options)}`);
  }
  const tools = toolNames(step.normalizedRequest);
  if (tools.length > 0) lines.push(`  ${style('cyan', 'tools')}  ${tools.join(', ')}`);

  const output = outputText(step.normalizedResponse);
  if (output !== undefined) {
    const reason = finishReason(step.normalizedResponse);
    section(`output${reason ? ` (finish: ${reason})` : ''}`);
    lines.push(`${indent}${clip(output, options)}`);
  }
  const error = errorText(step.error);
  if (error !== undefined) {
    section('error');
    lines.push(`${indent}${style('red', clip(error, options))}`);
  }
  if (step.usage !== null && isJsonObject(step.usage) && Object.keys(step.usage).length > 0) {
    lines.push(`  ${style('cyan', 'usage')}  ${usageText(step.usage)}`);
  }
  if (Object.keys(step.metadata).length > 0) {
    section('metadata');
    lines.push(formatJson(step.metadata, { full: options.full, indent }));
  }
  if (step.attempts.length > 0) {
    section('attempts');
    step.attempts.forEach((attempt, index) => lines.push(...renderAttempt(attempt, index < step.attempts.length - 1, style, options, indent)));
  }
  if (options.full) {
    section('normalized_request');
    lines.push(formatJson(step.normalizedRequest, { full: true, indent }));
    if (step.normalizedResponse !== null) {
      section('normalized_response');
      lines.push(formatJson(step.normalizedResponse, { full: true, indent }));
    }
    if (step.error !== null) {
      section('error (raw)');
      lines.push(formatJson(step.error, { full: true, indent }));
    }
  }
  return lines;
}

/**
 * One HTTP attempt. The recorder classifies every failed attempt (`retry_classification`,
 * `retry_delay_ms`) before it knows whether the client will retry, so the retry is shown only when
 * a later attempt of the step exists (`retried`); the last one's classification stays in the JSON.
 */
function renderAttempt(attempt: JsonValue, retried: boolean, style: Style, options: RunDetailOptions, indent: string): string[] {
  if (!isJsonObject(attempt)) return [`${indent}${JSON.stringify(attempt)}`];
  const status = typeof attempt.status === 'string' ? attempt.status : '?';
  const parts = [
    style('bold', `#${String(attempt.number ?? '?')}`),
    status === 'completed' ? style('green', status) : style('red', status),
    `${String(attempt.method ?? '')} ${String(attempt.path ?? attempt.url ?? '')}`.trim(),
    typeof attempt.response_status === 'number' ? `→ ${attempt.response_status}` : '',
    typeof attempt.duration_ms === 'number' ? `${attempt.duration_ms}ms` : '',
    retried && typeof attempt.retry_classification === 'string' ? style('yellow', `retry: ${attempt.retry_classification}`) : '',
    retried && typeof attempt.retry_delay_ms === 'number' ? style('yellow', `after ${attempt.retry_delay_ms}ms`) : '',
  ].filter((part) => part !== '');
  const lines = [`${indent}${parts.join('  ')}`];
  if (typeof attempt.error === 'string' && attempt.error !== '') lines.push(`${indent}  ${style('red', clip(attempt.error, options))}`);
  if (options.full) {
    const { number: _number, status: _status, method: _method, path: _path, duration_ms: _duration, ...rest } = attempt;
    lines.push(formatJson(rest, { full: true, indent: `${indent}  ` }));
  } else if (typeof attempt.response_body === 'string' && status !== 'completed') {
    lines.push(`${indent}  ${style('dim', `body: ${oneLine(attempt.response_body, 120)}`)}`);
  }
  return lines;
}

function toolNames(request: JsonValue): string[] {
  if (!isJsonObject(request) || !Array.isArray(request.tools)) return [];
  return request.tools.filter(isJsonObject).map((tool) => (typeof tool.name === 'string' ? tool.name : '?'));
}

function clip(text: string, options: RunDetailOptions): string {
  // Whole texts keep their line breaks, continued under the first line's indent.
  return options.full ? text.replace(/\r?\n/g, '\n      ') : oneLine(text, TEXT_WIDTH);
}
