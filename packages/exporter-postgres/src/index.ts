// Public surface of @chatdebug/exporter-postgres. Everything not exported here is internal.

export { PostgresExporter } from './postgres-exporter.js';
export type { PostgresExporterOptions } from './postgres-exporter.js';
export { PostgresSettingsStore, MAX_RETENTION_DAYS } from './postgres-settings-store.js';
export type { PostgresSettingsStoreOptions } from './postgres-settings-store.js';
export type { PostgresConnectionOptions } from './db/connection.js';
export { PostgresEventBus, DEFAULT_LISTEN_QUERY_TIMEOUT_MILLIS, DEFAULT_HEALTH_CHECK_INTERVAL_MILLIS } from './postgres-event-bus.js';
export type { PostgresEventBusOptions } from './postgres-event-bus.js';
export type { ReconnectOptions } from './events/pg-listen-connection.js';
export type { ListenClientLike, NotificationMessage } from './events/listen-client.js';
export type { NotificationSource } from './events/notification-source.js';

export { migrate, DEFAULT_MIGRATION_LOCK_TIMEOUT_MILLIS } from './migrations/migrate.js';
export type { MigrateOptions, MigrateResult } from './migrations/migrate.js';
export { LATEST_SCHEMA_VERSION } from './migrations/migration-list.js';

export {
  createPool,
  DEFAULT_CONNECTION_TIMEOUT_MILLIS,
  DEFAULT_STATEMENT_TIMEOUT_MILLIS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_KEEPALIVE_INITIAL_DELAY_MILLIS,
} from './db/create-pool.js';
export type { CreatePoolOptions } from './db/create-pool.js';
export type { Queryable, QueryResultLike, PoolLike, PoolClientLike, OwnedPool, NamedStatement } from './db/queryable.js';
export { SCHEMA_NAME_PATTERN, DEFAULT_SCHEMA, STEP_NUMBER_CONSTRAINT, validateSchemaName } from './db/identifiers.js';

export { PGliteAdapter } from './embedded/pglite-adapter.js';
export type { PGliteAdapterOptions, PGliteLike } from './embedded/pglite-adapter.js';
export { createPGliteDb } from './embedded/create-pglite-db.js';
export type { CreatePGliteDbOptions } from './embedded/create-pglite-db.js';
export { openEmbedded } from './embedded/open-embedded.js';
export type { OpenEmbeddedOptions } from './embedded/open-embedded.js';
export { openPostgres } from './open-postgres.js';
export type { OpenPostgresOptions } from './open-postgres.js';
export type { ChatDebugDatabase } from './chat-debug-database.js';
