import type { Relation } from '../types.js';
import type { Column, ColumnLike } from './columns.js';

export type Row = Record<string, unknown>;

/** One connection: statements on it run in order. */
export interface Session {
  /** Runs one statement; `rows` is the count a CREATE TABLE AS / INSERT reports, when it reports one. */
  exec(sql: string): Promise<{ rows?: number }>;
  query(sql: string): Promise<Row[]>;
  /** A result as columns of plain JS values, with each column's DuckDB type. */
  queryColumns(sql: string): Promise<{ names: string[]; types: string[]; columns: Column[] }>;
  /** Appends columns of plain JS values to a table, a data chunk (2,048 rows) at a time: columnar, not row by row. */
  appendColumns(schema: string, table: string, columns: readonly ColumnLike[]): Promise<number>;
  /** Rows with every value as DuckDB would print it (dates as 2024-01-31, decimals exact), for display. */
  queryDisplay(sql: string): Promise<{ columns: string[]; rows: string[][] }>;
}

/** A result column's type: DuckDB's type id (`INTEGER`, `DECIMAL`, `VARCHAR`…), its full text, a DECIMAL's width and scale. */
export interface ColumnType {
  readonly id: string;
  readonly text: string;
  readonly width?: number;
  readonly scale?: number;
}

/**
 * One column of a data chunk, copied out of DuckDB: fixed-width values little-endian as DuckDB stores them (a DATE
 * as int32 days, a TIMESTAMP as int64 microseconds, a DECIMAL as its unscaled 2/4/8/16-byte integer, a BOOLEAN as
 * one byte); VARCHAR as UTF-8 bytes with `offsets` (n + 1 of them). `validity`: bit i set when row i is not NULL
 * (least significant bit first); null when no row is NULL.
 */
export interface RawColumn {
  readonly data: Uint8Array;
  readonly validity: Uint8Array | null;
  readonly offsets?: Int32Array;
}

export interface RawChunk {
  readonly rows: number;
  readonly columns: readonly RawColumn[];
}

export interface ChunkStream {
  readonly names: readonly string[];
  readonly types: readonly ColumnType[];
  readonly chunks: AsyncIterable<RawChunk>;
}

export type RelationKind = 'table' | 'view';

/** What already exists in the target: the plan reads it to choose its statements. */
export interface WarehouseState {
  readonly relations: ReadonlyMap<string, RelationKind>;
  readonly schemas: ReadonlySet<string>;
}

export function relationKey(r: Relation): string {
  return `${r.schema}.${r.name}`.toLowerCase();
}

/** The database a command works on. The DuckDB implementation is the only code that imports the driver. */
export interface Adapter {
  readonly sessions: readonly Session[];
  /** DuckDB's own parser on each statement: an error message per statement, undefined where it parses. */
  parseErrors(statements: readonly string[]): Promise<Array<string | undefined>>;
  state(): Promise<WarehouseState>;
  /** Stops the statements running on every connection (they fail with an interrupt error). */
  interrupt(): void;
  version(): Promise<string>;
  close(): Promise<void>;
}

/** How `parseErrors` reports a text holding more (or fewer) than one statement. */
export const MORE_THAN_ONE_STATEMENT = 'expected one statement';
