import type { DuckDBConnection, DuckDBDecimalType, DuckDBType } from '@duckdb/node-api';
import type { ChunkStream, ColumnType, RawChunk, RawColumn } from './adapter.js';
import { duckdbApi, duckdbBindings as duckdb } from './load.js';

const { DuckDBTypeId } = duckdbApi;

/**
 * A query's result streamed a data chunk (2,048 rows) at a time, each column copied out of DuckDB's vectors in
 * its own memory layout (see `RawColumn`), so a consumer (the Arrow IPC export) never makes a JS value per row
 * and never holds more than a chunk of the result. Types without a fixed layout here are refused by name.
 */
export async function streamChunks(conn: DuckDBConnection, sql: string): Promise<ChunkStream> {
  const result = await conn.stream(sql);
  const names = result.columnNames();
  const duckTypes = result.columnTypes();
  const types = duckTypes.map(columnType);
  async function* chunks(): AsyncGenerator<RawChunk> {
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) return;
      const rows = chunk.rowCount;
      yield { rows, columns: types.map((t, c) => readColumn(duckdb.data_chunk_get_vector(chunk.chunk, c), t, rows)) };
    }
  }
  return { names, types, chunks: chunks() };
}

/** Bytes per value of the fixed-width types, in DuckDB's layout (little-endian). */
const WIDTH: Record<string, number> = {
  TINYINT: 1, SMALLINT: 2, INTEGER: 4, BIGINT: 8, UTINYINT: 1, USMALLINT: 2, UINTEGER: 4, UBIGINT: 8,
  HUGEINT: 16, FLOAT: 4, DOUBLE: 8, BOOLEAN: 1, DATE: 4, TIME: 8, TIMESTAMP: 8, TIMESTAMP_TZ: 8, TIMESTAMP_MS: 8, TIMESTAMP_S: 8, TIMESTAMP_NS: 8,
};

/** The types `streamChunks` copies: the fixed-width ones, DECIMAL, VARCHAR, and NULL (the type of a bare `null`). */
export const RAW_TYPES: ReadonlySet<string> = new Set([...Object.keys(WIDTH), 'DECIMAL', 'VARCHAR', 'SQLNULL']);

function columnType(t: DuckDBType): ColumnType {
  const id = DuckDBTypeId[t.typeId] as string;
  if (t.typeId !== DuckDBTypeId.DECIMAL) return { id, text: t.toString() };
  const { width, scale } = t as DuckDBDecimalType;
  return { id, text: t.toString(), width, scale };
}

function byteWidth(t: ColumnType): number {
  if (t.id !== 'DECIMAL') return WIDTH[t.id];
  const w = t.width!;
  return w <= 4 ? 2 : w <= 9 ? 4 : w <= 18 ? 8 : 16;
}

function readColumn(vector: ReturnType<typeof duckdb.data_chunk_get_vector>, t: ColumnType, n: number): RawColumn {
  if (!RAW_TYPES.has(t.id)) throw new Error(`internal: streamChunks cannot copy a ${t.text} column`);
  if (t.id === 'SQLNULL') return { data: new Uint8Array(0), validity: new Uint8Array(Math.ceil(n / 8)) };
  const mask = duckdb.vector_get_validity(vector, Math.ceil(n / 64) * 8);
  const validity = mask ? mask.slice(0, Math.ceil(n / 8)) : null;
  if (t.id !== 'VARCHAR') return { data: duckdb.vector_get_data(vector, n * byteWidth(t)).slice(), validity };
  // string_t: a 4-byte length, then the bytes inline (12 at most) or a 4-byte prefix and a pointer to them.
  const entries = duckdb.vector_get_data(vector, n * 16);
  const w = new Uint32Array(entries.buffer, entries.byteOffset, n * 4);
  const offsets = new Int32Array(n + 1);
  const long: number[] = [];
  for (let i = 0; i < n; i++) {
    const len = validity && !(validity[i >> 3] & (1 << (i & 7))) ? 0 : w[4 * i];
    offsets[i + 1] = offsets[i] + len;
    if (len > 12) long.push(i);
  }
  const data = new Uint8Array(offsets[n]);
  for (let i = 0; i < n; i++) {
    const len = offsets[i + 1] - offsets[i];
    if (len > 0 && len <= 12) data.set(entries.subarray(16 * i + 4, 16 * i + 4 + len), offsets[i]);
  }
  copyLongStrings(w, long, offsets, data);
  return { data, validity, offsets };
}

/** Reads the memory at an address: `get_data_from_pointer` takes the address from a buffer. */
const address = new BigUint64Array(1);
function readMemory(at: number, bytes: number): Uint8Array {
  address[0] = BigInt(at);
  return duckdb.get_data_from_pointer(address.buffer as ArrayBuffer, 0, bytes);
}

/** Strings closer than this in memory are read in one call; below a page, the bytes between are mapped memory too. */
const GAP = 256;

/**
 * Copies the strings longer than 12 bytes. One call into DuckDB per string made a 10M-row export spend most of its
 * time there; strings of a chunk mostly lie side by side (or repeat, from a dictionary), so they are read in runs
 * of nearby addresses, one call per run.
 */
function copyLongStrings(w: Uint32Array, long: readonly number[], offsets: Int32Array, data: Uint8Array): void {
  if (long.length === 0) return;
  const ptr = (i: number) => w[4 * i + 3] * 4_294_967_296 + w[4 * i + 2];
  const order = [...long].sort((a, b) => ptr(a) - ptr(b));
  for (let k = 0; k < order.length; ) {
    const start = ptr(order[k]);
    let end = start + w[4 * order[k]];
    let j = k + 1;
    while (j < order.length && ptr(order[j]) <= end + GAP) end = Math.max(end, ptr(order[j]) + w[4 * order[j++]]);
    const run = readMemory(start, end - start);
    for (; k < j; k++) {
      const i = order[k];
      const at = ptr(i) - start;
      data.set(run.subarray(at, at + w[4 * i]), offsets[i]);
    }
  }
}
