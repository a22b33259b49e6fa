import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { duckdbApi } from './load.js';
import { dirname, resolve } from 'node:path';
import { quoteIdent, quoteLiteral, type AttachDef, type TargetDef } from '../types.js';
import { appendColumns, readColumns, type Column, type ColumnLike } from './columns.js';
import { streamChunks } from './chunks.js';
import { MORE_THAN_ONE_STATEMENT, type Adapter, type ChunkStream, type RelationKind, type Row, type Session, type WarehouseState } from './adapter.js';
import { makeFolder } from '../folders.js';
import { databaseKind, DEFER_CATALOG, extensionFor, motherDuckDatabase, TARGET_CATALOG } from './databases.js';

export { TARGET_CATALOG };

export interface OpenOptions {
  /** A file path or ':memory:'. */
  readonly path: string;
  readonly threads: number;
  readonly settings?: Readonly<Record<string, string>>;
  readonly readOnly?: boolean;
  /** DuckLake targets: where the catalog's data files go. */
  readonly dataPath?: string;
  /** Databases attached beside the target, and extensions LOADed, before anything runs. */
  readonly attach?: readonly AttachDef[];
  readonly extensions?: readonly string[];
}

/** How @duckdb/node-api's JSON rows spell DATE 'infinity' and '-infinity' (one day past the last and first dates). */
const DATE_INFINITY: Readonly<Record<string, string>> = { '5881580-07-11': 'infinity', '5877642-06-24 (BC)': '-infinity' };

/** --defer: the deferred target's file (attached read-only beside the target) could not be opened. */
export class DeferredFileError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`the deferred target's file ${path}: ${reason}`);
  }
}

/** An extension that must be LOADed but is not installed on this machine: eider never downloads one. */
export class ExtensionMissing extends Error {
  override readonly name = 'ExtensionMissing';
  /** `neededBy`: the alias of the attached database (or `target`) whose path needs it; none when the profile lists it. */
  constructor(readonly extension: string, readonly neededBy?: string) {
    super(`extension "${extension}" is not installed`);
  }
}

/** Extensions `open` loads, in order: those the profile lists, then those its paths need. */
export function requiredExtensions(opts: OpenOptions): Array<{ extension: string; neededBy?: string }> {
  const out: Array<{ extension: string; neededBy?: string }> = (opts.extensions ?? []).map((extension) => ({ extension }));
  const need = (extension: string | undefined, neededBy: string) => {
    if (extension && !out.some((x) => x.extension === extension)) out.push({ extension, neededBy });
  };
  for (const a of opts.attach ?? []) need(extensionFor(a.path), a.alias);
  need(extensionFor(opts.path), 'target');
  return out;
}

/**
 * What `open` runs: `setup` once (LOAD each extension, ATTACH each database, ATTACH the target), `use` on every
 * connection, then `after` once (detach the in-memory catalog, so a schema may be called `memory`).
 */
export function openStatements(opts: OpenOptions): { setup: string[]; use?: string; after: string[] } {
  const setup = requiredExtensions(opts).map((x) => `load ${quoteIdent(x.extension)}`);
  for (const a of opts.attach ?? []) setup.push(`attach ${quoteLiteral(a.path)} as ${quoteIdent(a.alias)}${a.readOnly || opts.readOnly ? ' (read_only)' : ''}`);
  const kind = databaseKind(opts.path);
  if (kind === 'memory') return { setup, after: [] };
  const options = [...(opts.readOnly ? ['read_only'] : []), ...(kind === 'ducklake' && opts.dataPath !== undefined ? [`data_path ${quoteLiteral(opts.dataPath)}`] : [])];
  const suffix = options.length > 0 ? ` (${options.join(', ')})` : '';
  if (kind === 'motherduck') {
    // MotherDuck refuses an alias for a database the user owns: it is attached under its own name.
    setup.push(`attach ${quoteLiteral(opts.path)}${suffix}`);
    return { setup, use: `use ${quoteIdent(motherDuckDatabase(opts.path))}`, after: ['detach memory'] };
  }
  setup.push(`attach ${quoteLiteral(kind === 'file' ? resolve(opts.path) : opts.path)} as ${TARGET_CATALOG}${suffix}`);
  return { setup, use: `use ${TARGET_CATALOG}`, after: ['detach memory'] };
}

/** How a target's profile opens it: its settings, extensions, attached databases, and DuckLake data path. */
export function targetOptions(target: TargetDef): Pick<OpenOptions, 'settings' | 'extensions' | 'attach' | 'dataPath'> {
  return { settings: target.settings, extensions: target.extensions, attach: target.attach, dataPath: target.dataPath };
}

/** Files this process has open: DuckDB must not have two instances on one file in one process. */
const openFiles = new Set<string>();

export class DuckDbSession implements Session {
  constructor(readonly conn: DuckDBConnection) {}

  async exec(sql: string): Promise<{ rows?: number }> {
    const reader = await this.conn.runAndReadAll(sql);
    const names = reader.columnNames();
    if (names.length === 1 && names[0] === 'Count' && reader.currentRowCount === 1) {
      return { rows: Number(reader.getRows()[0][0]) };
    }
    return {};
  }

  async query(sql: string): Promise<Row[]> {
    const reader = await this.conn.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Row[];
  }

  async queryColumns(sql: string): Promise<{ names: string[]; types: string[]; columns: Column[] }> {
    const r = await readColumns(this.conn, sql);
    return { names: r.names, types: r.types.map((t) => t.toString()), columns: r.columns };
  }

  appendColumns(schema: string, table: string, columns: readonly ColumnLike[]): Promise<number> {
    return appendColumns(this.conn, schema, table, columns);
  }

  async queryDisplay(sql: string): Promise<{ columns: string[]; rows: string[][] }> {
    const reader = await this.conn.runAndReadAll(sql);
    const columns = reader.columnNames();
    const rows = reader.getRowsJson().map((r) => r.map((v) => (v === null ? 'null' : typeof v === 'object' ? JSON.stringify(v) : String(v))));
    return { columns, rows };
  }

  /** Rows as JSON-safe values (numbers up to INTEGER and DOUBLE; BIGINT, DECIMAL, dates, times as strings), with each column's DuckDB type. */
  async queryJson(sql: string): Promise<{ columns: string[]; types: string[]; rows: unknown[][] }> {
    const reader = await this.conn.runAndReadAll(sql);
    const types = reader.columnTypes().map((t) => t.toString());
    const rows = reader.getRowsJson() as unknown[][];
    // The library writes DATE 'infinity' as the day after the last date; DuckDB (and TIMESTAMP here) say infinity.
    const dates = types.flatMap((t, i) => (t === 'DATE' ? [i] : []));
    if (dates.length > 0) for (const row of rows) for (const i of dates) row[i] = DATE_INFINITY[row[i] as string] ?? row[i];
    return { columns: reader.columnNames(), types, rows };
  }

  /** A result a data chunk at a time, each column in DuckDB's own layout: never more than a chunk in memory. */
  streamChunks(sql: string): Promise<ChunkStream> {
    return streamChunks(this.conn, sql);
  }

  close(): void {
    this.conn.closeSync();
  }
}

export class DuckDbAdapter implements Adapter {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly sessions: DuckDbSession[],
    private readonly key: string | undefined,
  ) {}

  /**
   * One instance on the file, `threads` connections to it. The file is attached under a fixed catalog name,
   * not opened directly: DuckDB names a directly opened file's catalog after its stem, so `staging.duckdb`
   * holding a schema `staging` made `"staging"."stg_orders"` ambiguous. The in-memory catalog is detached
   * too, so a schema may be called `memory`.
   */
  static async open(opts: OpenOptions): Promise<DuckDbAdapter> {
    const kind = databaseKind(opts.path);
    const key = kind === 'memory' ? undefined : kind === 'file' ? resolve(opts.path) : opts.path;
    if (key && openFiles.has(key)) throw new Error(`internal: ${kind === 'file' ? key : 'the target'} is already open in this process`);
    if (kind === 'file') makeFolder(dirname(key!));
    // Spills go beside the file, as DuckDB does for a file it opens itself.
    const config: Record<string, string> = kind === 'file' ? { temp_directory: `${key}.tmp`, ...opts.settings } : { ...opts.settings };
    const instance = await duckdbApi.DuckDBInstance.create(':memory:', config);
    const sessions: DuckDbSession[] = [];
    try {
      for (let i = 0; i < Math.max(1, opts.threads); i++) sessions.push(new DuckDbSession(await instance.connect()));
      const extensions = requiredExtensions(opts);
      await checkInstalled(sessions[0], extensions);
      const run = openStatements(opts);
      for (const [i, sql] of run.setup.entries()) {
        // An attached database that cannot be opened (a loader holds it for writing) is named in the message.
        const attached = opts.attach?.[i - extensions.length];
        const alias = attached?.alias;
        await sessions[0].conn.run(sql).catch((e: Error) => {
          if (alias === DEFER_CATALOG) throw new DeferredFileError(attached!.path, e.message);
          throw alias === undefined ? e : Object.assign(e, { message: `attaching "${alias}": ${e.message}` });
        });
      }
      if (run.use) for (const s of sessions) await s.conn.run(run.use);
      for (const sql of run.after) await sessions[0].conn.run(sql);
    } catch (e) {
      for (const s of sessions) s.close();
      instance.closeSync();
      throw e;
    }
    if (key) openFiles.add(key);
    return new DuckDbAdapter(instance, sessions, key);
  }

  /**
   * Parses in batches (one call into DuckDB per few hundred statements); only a batch that fails,
   * or that does not split into exactly its statements, is parsed again one statement at a time.
   */
  async parseErrors(statements: readonly string[]): Promise<Array<string | undefined>> {
    const out: Array<string | undefined> = new Array(statements.length).fill(undefined);
    const conn = this.sessions[0].conn;
    const one = async (sql: string) => {
      try {
        const parsed = await conn.extractStatements(sql);
        return parsed.count === 1 ? undefined : `${MORE_THAN_ONE_STATEMENT}, found ${parsed.count}`;
      } catch (e) {
        // No statement at all (an empty file, only comments): DuckDB's binding says only "Error in native callback".
        if (await holdsNone(sql)) return `${MORE_THAN_ONE_STATEMENT}, found none (the text is empty or only comments)`;
        return (e as Error).message.replace(/^Failed to extract statements: /, '');
      }
    };
    const holdsNone = async (sql: string) => {
      try {
        return (await conn.extractStatements(`${sql}\n;\nselect 1`)).count === 1;
      } catch {
        return false;
      }
    };
    const BATCH = 256;
    for (let start = 0; start < statements.length; start += BATCH) {
      const batch = statements.slice(start, start + BATCH);
      let ok = false;
      try {
        ok = (await conn.extractStatements(batch.join('\n;\n'))).count === batch.length;
      } catch {
        ok = false;
      }
      if (!ok) for (let i = 0; i < batch.length; i++) out[start + i] = await one(batch[i]);
    }
    return out;
  }

  async state(): Promise<WarehouseState> {
    const rows = await this.sessions[0].query(
      `select table_schema as s, table_name as n, table_type as t from information_schema.tables where table_catalog = current_database()`,
    );
    const schemas = await this.sessions[0].query(`select schema_name as s from information_schema.schemata where catalog_name = current_database()`);
    const relations = new Map<string, RelationKind>();
    for (const r of rows) relations.set(`${r.s}.${r.n}`.toLowerCase(), r.t === 'VIEW' ? 'view' : 'table');
    return { relations, schemas: new Set(schemas.map((r) => String(r.s).toLowerCase())) };
  }

  interrupt(): void {
    for (const s of this.sessions) s.conn.interrupt();
  }

  async version(): Promise<string> {
    const rows = await this.sessions[0].query('select version() as v');
    return String(rows[0].v);
  }

  async close(): Promise<void> {
    for (const s of this.sessions) s.close();
    this.instance.closeSync();
    if (this.key) openFiles.delete(this.key);
  }
}

/** Throws `ExtensionMissing` for the first extension that is neither loaded nor installed (DuckDB would try to download it). */
async function checkInstalled(session: DuckDbSession, needed: ReadonlyArray<{ extension: string; neededBy?: string }>): Promise<void> {
  if (needed.length === 0) return;
  const rows = await session.query(`select extension_name as name from duckdb_extensions() where installed or loaded`);
  const present = new Set(rows.map((r) => String(r.name).toLowerCase()));
  const missing = needed.find((x) => !present.has(x.extension.toLowerCase()));
  if (missing) throw new ExtensionMissing(missing.extension, missing.neededBy);
}

/** Texts per call into DuckDB in `serializeSql`: one call per statement was ~3.5x slower on 5,000 models. */
const SERIALIZE_BATCH = 1000;

/** What `parseSql` gives for a text DuckDB could not serialize at all. */
const NOT_SERIALIZED = { error: true, error_type: 'serialize' };

/**
 * DuckDB's own parse of each SQL text as JSON (`json_serialize_sql`: `{"error": true, …}` for a parse error), in
 * order, from a private in-memory instance; a list of texts per call rather than one call per text.
 */
export async function serializeSql(sqls: readonly string[]): Promise<string[]> {
  return (await eachInMemory('json_serialize_sql', sqls, (j) => j)).map((j) => j ?? JSON.stringify(NOT_SERIALIZED));
}

/** `serializeSql`'s ASTs as objects: each batch is parsed in JavaScript while DuckDB serializes the next one. */
export async function parseSql(sqls: readonly string[]): Promise<unknown[]> {
  return (await eachInMemory('json_serialize_sql', sqls, (j) => JSON.parse(j) as unknown)).map((j) => j ?? NOT_SERIALIZED);
}

/** The SQL text of each JSON AST `serializeSql` gave (`json_deserialize_sql`), batched the same way; undefined where DuckDB refuses one. */
export function deserializeSql(asts: readonly string[]): Promise<Array<string | undefined>> {
  return eachInMemory('json_deserialize_sql', asts, (j) => j);
}

/**
 * `map(fn(text))` of each text, a batch per call into DuckDB; the next batch runs in DuckDB while this one is mapped.
 * A batch that fails is done again a text at a time, undefined for a text that fails alone.
 */
async function eachInMemory<T>(fn: 'json_serialize_sql' | 'json_deserialize_sql', texts: readonly string[], map: (result: string) => T): Promise<Array<T | undefined>> {
  if (texts.length === 0) return [];
  const instance = await duckdbApi.DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await instance.connect();
  try {
    const run = async (list: readonly string[]) => {
      const reader = await conn.runAndReadAll(`select ${fn}(s) as j from unnest($1) with ordinality as u(s, i) order by i`, [duckdbApi.listValue(list)], [duckdbApi.LIST(duckdbApi.VARCHAR)]);
      return reader.getRowsJS().map(([j]) => j as string);
    };
    const batches: Array<readonly string[]> = [];
    for (let start = 0; start < texts.length; start += SERIALIZE_BATCH) batches.push(texts.slice(start, start + SERIALIZE_BATCH));
    const attempt = (b: number): Promise<Array<string | undefined> | undefined> => (b < batches.length ? run(batches[b]).catch(() => undefined) : Promise.resolve(undefined));
    const out: Array<T | undefined> = [];
    let next = attempt(0);
    for (let b = 0; b < batches.length; b++) {
      let results = await next;
      if (!results) {
        results = [];
        for (const text of batches[b]) results.push(await run([text]).then(([j]) => j, () => undefined));
      }
      next = attempt(b + 1);
      for (const j of results) out.push(j === undefined ? undefined : map(j));
    }
    return out;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
