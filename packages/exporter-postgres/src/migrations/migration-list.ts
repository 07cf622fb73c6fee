import { runsAndSteps } from './0001-runs-and-steps.js';
import { settings } from './0002-settings.js';
import type { Migration } from './migration.js';

/** Every migration, in version order. Append only. */
export const MIGRATIONS: readonly Migration[] = [runsAndSteps, settings];

/** The schema version a fully migrated database has. */
export const LATEST_SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
