/**
 * The result of one statement, as far as chatdebug reads it: `pg`'s `QueryResult` and the
 * PGlite adapter's results both have this shape.
 */
export interface QueryResultLike {
  rows: unknown[];
  /** Rows the command touched (INSERT, UPDATE, DELETE) or returned (SELECT). */
  rowCount?: number | null;
}

/**
 * Anything that runs one parameterized statement: a `pg.Pool`, a `pg.PoolClient`, a `pg.Client`,
 * or a {@link PGliteAdapter}. Values are bound as parameters (`$1`, `$2`, ...), never spliced in.
 */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<QueryResultLike>;
}

/**
 * One statement to run as a named prepared statement: `pg` parses and plans it once per
 * connection under `name`, then only binds and executes it.
 */
export interface NamedStatement {
  name: string;
  text: string;
  values: unknown[];
}

/**
 * A connection checked out of a pool and held across awaits (a migration holding its advisory
 * lock). Besides `query(text, values)` it takes a {@link NamedStatement}, as a `pg.PoolClient`
 * does, unless the component was built with `preparedStatements: false`. chatdebug attaches its own `error` listener while it holds one, so a backend killed
 * meanwhile cannot crash the process, and removes it before releasing.
 */
export interface PoolClientLike extends Queryable {
  query(text: string, values?: unknown[]): Promise<QueryResultLike>;
  query(statement: NamedStatement): Promise<QueryResultLike>;
  /** Gives the connection back; with an error (or `true`) the pool destroys it instead. */
  release(error?: Error | boolean): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * The subset of `pg.Pool` chatdebug uses: single statements through `query`, and `connect` for
 * the few operations that need one connection across several statements. A `pg.Pool` fits as is,
 * and so does {@link PGliteAdapter}.
 *
 * A pool you pass in stays yours: chatdebug never ends it. Attach an `error` listener to it
 * (`pool.on('error', ...)`): node-postgres emits one when the backend of an idle connection dies.
 * Until you do, chatdebug's fallback listener (silent as soon as the pool has another) logs it, so
 * it cannot crash the process.
 */
export interface PoolLike extends Queryable {
  connect(): Promise<PoolClientLike>;
}

/** A pool chatdebug created and therefore ends. */
export interface OwnedPool extends PoolLike {
  end(): Promise<void>;
}
