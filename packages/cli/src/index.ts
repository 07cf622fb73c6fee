// Public surface of @chatdebug/cli. Everything not exported here is internal.

export { runCli } from './cli.js';
export type { RunCliOptions } from './command-context.js';
export type { CliDatabase } from './database/open-session.js';
export { runDemo } from './demo/run-demo.js';
export type { RunDemoOptions, DemoResult } from './demo/run-demo.js';
export { processIo, bufferedIo } from './cli-io.js';
export type { CliIo, CliOutput, BufferedCliIo } from './cli-io.js';
export { EXIT_CODES } from './exit-codes.js';
export type { ExitCode } from './exit-codes.js';
export { CliError } from './cli-error.js';
export type { CliErrorCode } from './cli-error.js';
export { parseDuration, formatDuration } from './duration.js';
export { EXPORT_FORMAT_VERSION, EXPORT_RUN_LIMIT } from './render/json-shapes.js';
export type { ExportDocument, RunJson, StepJson, RunWithStepsJson } from './render/json-shapes.js';
export { renderRunTree } from './render/run-tree.js';
export { createStyle } from './render/style.js';
export type { Style } from './render/style.js';
