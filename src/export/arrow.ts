import { closeSync, openSync, writeSync } from 'node:fs';
import {
  Bool, DateDay, Decimal, Field, Float32, Float64, Int16, Int32, Int64, Int8, makeData, Null, RecordBatch, RecordBatchFileWriter, Schema, Struct, Time, TimeUnit, Timestamp, Uint16, Uint32, Uint64, Uint8, Utf8,
  type Data, type DataType,
} from 'apache-arrow';
import type { ChunkStream, ColumnType, RawChunk, RawColumn } from '../adapter/adapter.js';

/**
 * DuckDB's types as Arrow's. DECIMAL stays exact: Arrow's Decimal128 with DuckDB's precision and scale (readers
 * that want floats cast it). TIMESTAMP WITH TIME ZONE is a UTC timestamp. Types missing here (INTERVAL, LIST,
 * STRUCT, MAP, UNION, UHUGEINT, UUID, BLOB, ENUM, BIT, TIME WITH TIME ZONE…) are refused by name: cast them in an
 * --inline query, or export to Parquet.
 */
const ARROW: Record<string, (t: ColumnType) => DataType> = {
  TINYINT: () => new Int8(), SMALLINT: () => new Int16(), INTEGER: () => new Int32(), BIGINT: () => new Int64(),
  UTINYINT: () => new Uint8(), USMALLINT: () => new Uint16(), UINTEGER: () => new Uint32(), UBIGINT: () => new Uint64(),
  FLOAT: () => new Float32(), DOUBLE: () => new Float64(), BOOLEAN: () => new Bool(), VARCHAR: () => new Utf8(),
  DATE: () => new DateDay(), TIME: () => new Time(TimeUnit.MICROSECOND, 64),
  TIMESTAMP: () => new Timestamp(TimeUnit.MICROSECOND), TIMESTAMP_TZ: () => new Timestamp(TimeUnit.MICROSECOND, 'UTC'),
  TIMESTAMP_MS: () => new Timestamp(TimeUnit.MILLISECOND), TIMESTAMP_S: () => new Timestamp(TimeUnit.SECOND), TIMESTAMP_NS: () => new Timestamp(TimeUnit.NANOSECOND),
  DECIMAL: (t) => new Decimal(t.scale!, t.width!, 128),
  // DuckDB's 128-bit integer (what sum() of integers gives) has Decimal128's bytes: a DECIMAL(38, 0).
  HUGEINT: () => new Decimal(0, 38, 128),
  SQLNULL: () => new Null(),
};

/** The first column Arrow IPC export cannot write, as `"name" (TYPE)`, or undefined when it can write them all. */
export function unsupportedColumn(names: readonly string[], types: readonly ColumnType[]): string | undefined {
  const i = types.findIndex((t) => !ARROW[t.id]);
  return i < 0 ? undefined : `"${names[i]}" (${types[i].text})`;
}

/** Rows per record batch: DuckDB's chunks (2,048 rows) are gathered up to this many. */
const BATCH_ROWS = 65_536;

/**
 * Writes a result to an Arrow IPC file as it streams from DuckDB: chunks are gathered into record batches of
 * about 64K rows, converted without making a JS value per row, and written as each batch is ready, so memory
 * holds one batch whatever the result's size. Returns the number of rows written.
 */
export async function writeArrowFile(stream: ChunkStream, path: string): Promise<number> {
  const fields = stream.names.map((n, i) => new Field(n, ARROW[stream.types[i].id](stream.types[i]), true));
  const schema = new Schema(fields);
  const writer = new RecordBatchFileWriter();
  const fd = openSync(path, 'w');
  // The writer queues its bytes; this loop writes them out whenever the producer below awaits DuckDB.
  const draining = (async () => {
    for await (const bytes of writer) writeSync(fd, bytes);
  })();
  let rows = 0;
  try {
    let pending: RawChunk[] = [];
    let pendingRows = 0;
    const flush = () => {
      writer.write(recordBatch(schema, stream.types, pending, pendingRows));
      rows += pendingRows;
      pending = [];
      pendingRows = 0;
    };
    for await (const chunk of stream.chunks) {
      pending.push(chunk);
      pendingRows += chunk.rows;
      if (pendingRows >= BATCH_ROWS) flush();
    }
    if (pendingRows > 0 || rows === 0) flush();
  } finally {
    writer.close();
    await draining;
    closeSync(fd);
  }
  return rows;
}

function recordBatch(schema: Schema, types: readonly ColumnType[], chunks: readonly RawChunk[], rows: number): RecordBatch {
  const children = schema.fields.map((f, c) => columnData(f.type, types[c], chunks.map((ch) => ch.columns[c]), chunks.map((ch) => ch.rows), rows));
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children }));
}

function columnData(type: DataType, t: ColumnType, parts: readonly RawColumn[], lengths: readonly number[], rows: number): Data {
  if (t.id === 'SQLNULL') return makeData({ type: type as Null, length: rows });
  const { bitmap, nulls } = validity(parts, lengths, rows);
  const nullBitmap = nulls > 0 ? bitmap : undefined;
  const common = { length: rows, nullCount: nulls, nullBitmap };
  if (t.id === 'VARCHAR') {
    const offsets = new Int32Array(rows + 1);
    let at = 0;
    let base = 0;
    for (const p of parts) {
      const o = p.offsets!;
      for (let i = 1; i < o.length; i++) offsets[at + i] = base + o[i];
      at += o.length - 1;
      base += o[o.length - 1];
    }
    return makeData({ type: type as Utf8, ...common, valueOffsets: offsets, data: concat(parts.map((p) => p.data)) });
  }
  const bytes = concat(parts.map((p) => p.data));
  if (t.id === 'BOOLEAN') return makeData({ type: type as Bool, ...common, data: packBits(bytes, rows) });
  if (t.id === 'DECIMAL' || t.id === 'HUGEINT') return makeData({ type: type as Decimal, ...common, data: decimal128(bytes, rows) });
  const Ctor = (type as DataType).ArrayType as unknown as { new (buffer: ArrayBufferLike, offset: number, length: number): ArrayLike<unknown> };
  const width = bytes.byteLength / Math.max(1, rows);
  return makeData({ type: type as Int32, ...common, data: new Ctor(bytes.buffer, bytes.byteOffset, (rows * width) / (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT) as Int32Array });
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** The parts' validity bits laid end to end (a part without a mask is all valid), and how many rows are NULL. */
function validity(parts: readonly RawColumn[], lengths: readonly number[], rows: number): { bitmap: Uint8Array; nulls: number } {
  const bitmap = new Uint8Array(Math.ceil(rows / 8));
  let at = 0;
  let valid = 0;
  parts.forEach((p, k) => {
    const n = lengths[k];
    if (!p.validity && at % 8 === 0) {
      // All valid, starting on a byte: whole bytes at once.
      bitmap.fill(255, at >> 3, (at + n) >> 3);
      for (let i = n & ~7; i < n; i++) bitmap[(at + i) >> 3] |= 1 << ((at + i) & 7);
      valid += n;
      at += n;
      return;
    }
    for (let i = 0; i < n; i++) {
      if (p.validity && !(p.validity[i >> 3] & (1 << (i & 7)))) continue;
      bitmap[(at + i) >> 3] |= 1 << ((at + i) & 7);
      valid++;
    }
    at += n;
  });
  return { bitmap, nulls: rows - valid };
}

/** One byte per value (DuckDB) to one bit per value (Arrow). */
function packBits(bytes: Uint8Array, rows: number): Uint8Array {
  const out = new Uint8Array(Math.ceil(rows / 8));
  for (let i = 0; i < rows; i++) if (bytes[i]) out[i >> 3] |= 1 << (i & 7);
  return out;
}

/** DuckDB's unscaled DECIMAL integers (2, 4, 8 or 16 bytes) sign-extended to Arrow's 16-byte Decimal128. */
function decimal128(bytes: Uint8Array, rows: number): Uint32Array {
  const width = rows === 0 ? 16 : bytes.byteLength / rows;
  if (width === 16) return new Uint32Array(bytes.buffer, bytes.byteOffset, rows * 4);
  const out = new Int32Array(rows * 4);
  const read: (i: number) => [number, number] =
    width === 8
      ? ((w) => (i: number) => [w[2 * i], w[2 * i + 1]])(new Int32Array(bytes.buffer, bytes.byteOffset, rows * 2))
      : width === 4
        ? ((w) => (i: number) => [w[i], w[i] >> 31])(new Int32Array(bytes.buffer, bytes.byteOffset, rows))
        : ((w) => (i: number) => [w[i], w[i] >> 31])(new Int16Array(bytes.buffer, bytes.byteOffset, rows));
  for (let i = 0; i < rows; i++) {
    const [lo, hi] = read(i);
    out[4 * i] = lo;
    out[4 * i + 1] = hi;
    out[4 * i + 2] = out[4 * i + 3] = hi >> 31;
  }
  return new Uint32Array(out.buffer);
}
