import type { DuckDBConnection, DuckDBDecimalType, DuckDBType, DuckDBTypeId as TypeId, JS } from '@duckdb/node-api';
import type { Vector } from '@duckdb/node-bindings';
import { duckdbApi, duckdbBindings as duckdb } from './load.js';

const { DuckDBDataChunk, DuckDBTypeId, JSDuckDBValueConverter, JSToDuckDBValueConverter } = duckdbApi;

/**
 * Columnar transfer between DuckDB and JavaScript for JS/TS models.
 *
 * The values are the ones @duckdb/node-api's JS converter gives (numbers; bigint for BIGINT; Date for DATE and
 * TIMESTAMP; numbers for DECIMAL; strings; booleans; null), but the common types move by reading and writing the
 * vectors' memory directly: a typed-array copy per vector for numbers, one bit test per value for NULLs. The
 * library's per-value path tests validity with BigInt arithmetic and converts through a generic value object,
 * which made a 1M-row model spend seconds in conversion. Any other type goes through the library, unchanged.
 */

/** A column as a model may return it: an array, a typed array, or an Arquero/Arrow-style column. */
export type ColumnLike = ArrayLike<unknown> | { readonly length: number; at(row: number): unknown; toArray?(): ArrayLike<unknown>; [Symbol.iterator](): Iterator<unknown> };

/** A column as a JS model sees it: a typed array when it is numeric without NULLs, otherwise an array. */
export type Column = unknown[] | DuckColumn | Float64Array | Float32Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array | BigInt64Array;

const DAY_MS = 86_400_000;
const TWO_32 = 4_294_967_296;
/** The high 32-bit word of an int64 within ±2^53: [-2^21, 2^21). */
const SAFE_HI = 2 ** 21;
/** The range of a JS Date, as @duckdb/node-api checks it. */
const MAX_DATE_DAYS = 100_000_000;
const MAX_DATE_MS = 8_640_000_000_000_000;
const textDecoder = new TextDecoder();
const encoder = new TextEncoder();

type Typed = Exclude<Column, unknown[]>;
type TypedCtor = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): Typed; new (length: number): Typed; BYTES_PER_ELEMENT: number };

/** Plain numeric types: copied as typed arrays. */
const NUMERIC: Partial<Record<TypeId, TypedCtor>> = {
  [DuckDBTypeId.TINYINT]: Int8Array as unknown as TypedCtor,
  [DuckDBTypeId.SMALLINT]: Int16Array as unknown as TypedCtor,
  [DuckDBTypeId.INTEGER]: Int32Array as unknown as TypedCtor,
  [DuckDBTypeId.UTINYINT]: Uint8Array as unknown as TypedCtor,
  [DuckDBTypeId.USMALLINT]: Uint16Array as unknown as TypedCtor,
  [DuckDBTypeId.UINTEGER]: Uint32Array as unknown as TypedCtor,
  [DuckDBTypeId.FLOAT]: Float32Array as unknown as TypedCtor,
  [DuckDBTypeId.DOUBLE]: Float64Array as unknown as TypedCtor,
};

function decimalBytes(t: DuckDBType): number {
  const w = (t as DuckDBDecimalType).width;
  return w <= 4 ? 2 : w <= 9 ? 4 : w <= 18 ? 8 : 16;
}

/** Whether this type has a direct path (both directions). */
function direct(t: DuckDBType): boolean {
  const id = t.typeId;
  if (NUMERIC[id]) return true;
  if (id === DuckDBTypeId.DECIMAL) return true;
  return (
    id === DuckDBTypeId.BIGINT ||
    id === DuckDBTypeId.BOOLEAN ||
    id === DuckDBTypeId.VARCHAR ||
    id === DuckDBTypeId.DATE ||
    id === DuckDBTypeId.TIMESTAMP ||
    id === DuckDBTypeId.TIMESTAMP_TZ
  );
}

function byteWidth(t: DuckDBType): number {
  const id = t.typeId;
  const ctor = NUMERIC[id];
  if (ctor) return ctor.BYTES_PER_ELEMENT;
  if (id === DuckDBTypeId.DECIMAL) return decimalBytes(t);
  if (id === DuckDBTypeId.BOOLEAN) return 1;
  if (id === DuckDBTypeId.DATE) return 4;
  if (id === DuckDBTypeId.VARCHAR) return 16;
  return 8; // BIGINT, TIMESTAMP, TIMESTAMP_TZ
}

/**
 * A column kept in DuckDB's own layout, its values made on access: Arquero's column interface (length, at,
 * iteration, toArray), as Arquero's own Arrow columns are. A model that passes a column through never turns
 * its dates into Date objects, and eider writes it back with one copy per vector.
 */
export class DuckColumn {
  private readonly get: (i: number) => unknown;

  constructor(
    /** DuckDB's type of the values, e.g. DATE or DECIMAL(18,2). */
    readonly type: DuckDBType,
    /** The values, `byteWidth(type)` bytes each, as in a DuckDB vector. */
    readonly raw: Uint8Array,
    /** One byte per row, 0 for NULL; null when no value is NULL. */
    readonly valid: Uint8Array | null,
    readonly length: number,
    /**
     * VARCHAR: the strings longer than 12 bytes, by row. Their entries in `raw` are zeroed: the pointers they
     * held lived only as long as the query's result.
     */
    readonly long?: ReadonlyArray<string | undefined>,
  ) {
    this.get = decoder(type, raw, length, long);
  }

  at(row: number): unknown {
    if (row < 0) row += this.length;
    if (row < 0 || row >= this.length) return undefined;
    return this.valid && this.valid[row] === 0 ? null : this.get(row);
  }

  *[Symbol.iterator](): Iterator<unknown> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }

  toArray(): unknown[] {
    const out = new Array<unknown>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.at(i);
    return out;
  }
}

/** How one value of a type is read from the raw bytes: the values @duckdb/node-api's JS converter gives. */
function decoder(t: DuckDBType, raw: Uint8Array, n: number, long?: ReadonlyArray<string | undefined>): (i: number) => unknown {
  const id = t.typeId;
  if (id === DuckDBTypeId.VARCHAR) {
    const strings = new InlineStrings(raw, n);
    return long ? (i) => long[i] ?? strings.get(i) : (i) => strings.get(i);
  }
  const ctor = NUMERIC[id];
  if (ctor) {
    const v = new ctor(raw.buffer, raw.byteOffset, n) as unknown as ArrayLike<number>;
    return (i) => v[i];
  }
  if (id === DuckDBTypeId.BIGINT) {
    const v = new BigInt64Array(raw.buffer, raw.byteOffset, n);
    return (i) => v[i];
  }
  if (id === DuckDBTypeId.BOOLEAN) return (i) => raw[i] !== 0;
  if (id === DuckDBTypeId.DATE) {
    const days = new Int32Array(raw.buffer, raw.byteOffset, n);
    return (i) => {
      const d = days[i];
      if (d < -MAX_DATE_DAYS || d > MAX_DATE_DAYS) throw new RangeError(`DATE value out of range for JS Date: ${d} days`);
      return new Date(d * DAY_MS);
    };
  }
  if (id === DuckDBTypeId.TIMESTAMP || id === DuckDBTypeId.TIMESTAMP_TZ) {
    const w = new Int32Array(raw.buffer, raw.byteOffset, n * 2);
    const big = new BigInt64Array(raw.buffer, raw.byteOffset, n);
    return (i) => {
      const hi = w[2 * i + 1];
      // Within ±2^53 µs (years 1685–2255) doubles are exact; beyond, divide as the library does, in bigints.
      const ms = hi >= -SAFE_HI && hi < SAFE_HI ? Math.trunc((hi * TWO_32 + (w[2 * i] >>> 0)) / 1000) : Number(big[i] / 1000n);
      if (ms < -MAX_DATE_MS || ms > MAX_DATE_MS) throw new RangeError(`TIMESTAMP value out of range for JS Date: ${big[i]} micros`);
      return new Date(ms);
    };
  }
  // DECIMAL: the value as a double — divided here while the unscaled value is within ±2^53, by DuckDB beyond.
  const dec = t as DuckDBDecimalType;
  const scale = 10 ** dec.scale;
  const width = decimalBytes(t);
  if (width === 2) {
    const v = new Int16Array(raw.buffer, raw.byteOffset, n);
    return (i) => v[i] / scale;
  }
  if (width === 4) {
    const v = new Int32Array(raw.buffer, raw.byteOffset, n);
    return (i) => v[i] / scale;
  }
  const toDouble = (value: bigint) => duckdb.decimal_to_double({ width: dec.width, scale: dec.scale, value });
  if (width === 8) {
    const w = new Int32Array(raw.buffer, raw.byteOffset, n * 2);
    const big = new BigInt64Array(raw.buffer, raw.byteOffset, n);
    return (i) => {
      const hi = w[2 * i + 1];
      return hi >= -SAFE_HI && hi < SAFE_HI ? (hi * TWO_32 + (w[2 * i] >>> 0)) / scale : toDouble(big[i]);
    };
  }
  const w = new Int32Array(raw.buffer, raw.byteOffset, n * 4);
  const big = new BigUint64Array(raw.buffer, raw.byteOffset, n * 2);
  return (i) => {
    const [w1, w2, w3] = [w[4 * i + 1], w[4 * i + 2], w[4 * i + 3]];
    if ((w3 === 0 && w2 === 0 && w1 >= 0 && w1 < SAFE_HI) || (w3 === -1 && w2 === -1 && w1 < 0 && w1 >= -SAFE_HI)) return (w1 * TWO_32 + (w[4 * i] >>> 0)) / scale;
    return toDouble(BigInt.asIntN(128, (big[2 * i + 1] << 64n) | big[2 * i]));
  };
}

/** One result column being read, a vector at a time. */
interface Reading {
  readonly type: DuckDBType;
  readonly width: number;
  /** The whole column in DuckDB's layout (types with a direct path). */
  readonly raw: Uint8Array | null;
  /** Validity bytes, once some value was NULL. */
  valid: Uint8Array | null;
  /** VARCHAR: strings longer than 12 bytes, by row, once there is one. */
  long: Array<string | undefined> | null;
  /** Values (types without a direct path). */
  readonly values: unknown[];
}

/** Reads a whole result as columns. */
export async function readColumns(conn: DuckDBConnection, sql: string): Promise<{ names: string[]; types: DuckDBType[]; columns: Column[] }> {
  const result = await conn.run(sql);
  const names = result.columnNames();
  const types = result.columnTypes();
  const rows = result.rowCount;
  const reading: Reading[] = types.map((type) => {
    const width = direct(type) ? byteWidth(type) : 0;
    return { type, width, raw: width > 0 ? new Uint8Array(rows * width) : null, valid: null, long: null, values: [] };
  });
  let at = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const n = chunk.rowCount;
    reading.forEach((r, c) => {
      const t = r.type;
      if (!direct(t)) {
        for (const v of chunk.convertColumnValues(c, JSDuckDBValueConverter)) r.values.push(v);
        return;
      }
      const vector = duckdb.data_chunk_get_vector(chunk.chunk, c);
      const mask = duckdb.vector_get_validity(vector, Math.ceil(n / 64) * 8);
      const bytes = duckdb.vector_get_data(vector, n * r.width);
      r.raw!.set(bytes, at * r.width);
      if (t.typeId === DuckDBTypeId.VARCHAR) keepLongStrings(r, bytes, mask, n, at, rows);
      if (mask) {
        for (let b = 0; b * 8 < n; b++) {
          if (mask[b] === 255) continue;
          for (let i = b * 8; i < Math.min(n, b * 8 + 8); i++) {
            if (!(mask[b] & (1 << (i & 7)))) {
              r.valid ??= new Uint8Array(rows).fill(1);
              r.valid[at + i] = 0;
            }
          }
        }
      }
    });
    at += n;
  }
  return { names, types, columns: reading.map((r) => finish(r, at)) };
}

function finish(r: Reading, rows: number): Column {
  if (!r.raw) return r.values;
  const ctor = NUMERIC[r.type.typeId];
  if (!r.valid && ctor) return new ctor(r.raw.buffer, 0, rows);
  if (!r.valid && r.type.typeId === DuckDBTypeId.BIGINT) return new BigInt64Array(r.raw.buffer, 0, rows);
  return new DuckColumn(r.type, r.raw, r.valid, rows, r.long ?? undefined);
}

/**
 * VARCHAR: a 16-byte string_t per value — its length, then up to 12 bytes inline, or a prefix and a pointer into
 * the result's memory for a longer one. The longer ones are made into strings now and their entries zeroed (as
 * are NULLs' entries, which may hold anything), so the raw column holds only self-contained values.
 */
function keepLongStrings(r: Reading, bytes: Uint8Array, mask: Uint8Array | null, n: number, base: number, rows: number): void {
  const w = new Uint32Array(bytes.buffer, bytes.byteOffset, n * 4);
  const raw = r.raw!;
  for (let i = 0; i < n; i++) {
    const isNull = mask !== null && !(mask[i >> 3] & (1 << (i & 7)));
    const len = w[4 * i];
    if (!isNull && len <= 12) continue;
    if (!isNull) {
      r.long ??= new Array<string | undefined>(rows);
      r.long[base + i] = textDecoder.decode(duckdb.get_data_from_pointer(bytes.buffer as ArrayBuffer, bytes.byteOffset + i * 16 + 8, len));
    }
    raw.fill(0, (base + i) * 16, (base + i + 1) * 16);
  }
}

/**
 * The short (inline) strings of a raw VARCHAR column, made on access. A direct-mapped cache keyed by the 16 bytes
 * (zero padded, so they are the value) makes a column of repeated values create each string once; ASCII is made
 * with a latin1 slice, anything else with the UTF-8 decoder.
 */
class InlineStrings {
  private static readonly SIZE = 4096;
  private readonly words = new Int32Array(InlineStrings.SIZE * 4);
  private readonly strings: Array<string | undefined> = new Array(InlineStrings.SIZE);
  private readonly w: Int32Array;
  private readonly buf: Buffer;

  constructor(private readonly raw: Uint8Array, n: number) {
    this.w = new Int32Array(raw.buffer, raw.byteOffset, n * 4);
    this.buf = Buffer.from(raw.buffer, raw.byteOffset, n * 16);
  }

  get(i: number): string {
    const { w, words, strings } = this;
    const len = w[4 * i];
    const w1 = w[4 * i + 1];
    const w2 = w[4 * i + 2];
    const w3 = w[4 * i + 3];
    const slot = (Math.imul(w1 ^ Math.imul(w2, 0x9e3779b1) ^ Math.imul(w3, 0x85ebca6b), 0x27d4eb2d) ^ len) >>> 20;
    const k = slot * 4;
    let str = strings[slot];
    if (str === undefined || words[k] !== len || words[k + 1] !== w1 || words[k + 2] !== w2 || words[k + 3] !== w3) {
      const at = 16 * i + 4;
      str = ((w1 | w2 | w3) & 0x80808080) === 0 ? this.buf.toString('latin1', at, at + len) : textDecoder.decode(this.raw.subarray(at, at + len));
      strings[slot] = str;
      words[k] = len;
      words[k + 1] = w1;
      words[k + 2] = w2;
      words[k + 3] = w3;
    }
    return str;
  }
}

/** A value that does not fit its column; `row` counts from 0. */
export class ValueError extends Error {
  constructor(
    readonly row: number,
    message: string,
  ) {
    super(message);
  }
}

const INTEGER_RANGE: Partial<Record<TypeId, readonly [number, number]>> = {
  [DuckDBTypeId.TINYINT]: [-128, 127],
  [DuckDBTypeId.SMALLINT]: [-32_768, 32_767],
  [DuckDBTypeId.INTEGER]: [-2_147_483_648, 2_147_483_647],
  [DuckDBTypeId.UTINYINT]: [0, 255],
  [DuckDBTypeId.USMALLINT]: [0, 65_535],
  [DuckDBTypeId.UINTEGER]: [0, 4_294_967_295],
};

/** A number or bigint as DECIMAL(width, scale)'s unscaled integer, rounded half away from zero as DuckDB casts. */
function scaledDecimal(x: unknown, t: DuckDBDecimalType, bad: () => Error): number | bigint {
  if (typeof x === 'bigint') {
    const v = x * 10n ** BigInt(t.scale);
    if ((v < 0n ? -v : v) >= 10n ** BigInt(t.width)) throw bad();
    return v;
  }
  if (typeof x !== 'number') throw bad();
  const scaled = x * 10 ** t.scale;
  const v = Math.sign(scaled) * Math.round(Math.abs(scaled));
  if (!Number.isFinite(v) || Math.abs(v) >= 10 ** t.width) throw bad();
  return v === 0 ? 0 : v;
}

function describeValue(x: unknown): string {
  if (x instanceof Date) return Number.isNaN(x.getTime()) ? 'Invalid Date' : x.toISOString();
  if (typeof x === 'string') return JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}…` : x);
  if (typeof x === 'bigint') return `${x}n`;
  return String(x);
}

/** Appends columns to an existing table in data chunks; column i goes to the table's column i. */
export async function appendColumns(conn: DuckDBConnection, schema: string, table: string, columns: readonly ColumnLike[]): Promise<number> {
  const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
  const shape = await conn.runAndReadAll(`select * from ${q(schema)}.${q(table)} limit 0`);
  const types = shape.columnTypes();
  const names = shape.columnNames();
  const appender = await conn.createAppender(table, schema);
  const rows = columns[0]?.length ?? 0;
  const size = duckdb.vector_size();
  // A DuckColumn of the target's type is copied as it is; any other column that is not an array is read into one.
  const plain = columns.map((col, c): ArrayLike<unknown> | DuckColumn =>
    Array.isArray(col) || (ArrayBuffer.isView(col) && !(col instanceof DataView)) || (col instanceof DuckColumn && col.type.toString() === types[c].toString())
      ? (col as ArrayLike<unknown> | DuckColumn)
      : 'toArray' in col && typeof col.toArray === 'function'
        ? Array.from(col.toArray())
        : Array.from(col as Iterable<unknown>),
  );
  try {
    for (let start = 0; start < rows; start += size) {
      const n = Math.min(size, rows - start);
      const chunk = DuckDBDataChunk.create(types, n);
      types.forEach((t, c) => {
        const vector = duckdb.data_chunk_get_vector(chunk.chunk, c);
        try {
          if (direct(t)) writeVector(vector, t, plain[c], start, n);
          else chunk.setColumnValuesConverted(c, Array.prototype.slice.call(plain[c], start, start + n) as (JS | null)[], JSToDuckDBValueConverter);
        } catch (e) {
          const at = e instanceof ValueError ? `, row ${e.row + 1}` : '';
          throw new ValueError(e instanceof ValueError ? e.row : start, `column "${names[c]}"${at}: ${(e as Error).message}`);
        }
      });
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  return rows;
}

/** Writes rows [start, start+n) of one column into a chunk's vector. */
function writeVector(vector: Vector, t: DuckDBType, column: ArrayLike<unknown> | DuckColumn, start: number, n: number): void {
  const id = t.typeId;
  const width = byteWidth(t);
  const validity = new Uint8Array(Math.ceil(n / 64) * 8).fill(255);
  let nulls = false;
  const ctor = NUMERIC[id];
  if (column instanceof DuckColumn || (ctor && column instanceof ctor) || (id === DuckDBTypeId.BIGINT && column instanceof BigInt64Array)) {
    // Already in DuckDB's layout: one copy.
    const typed = column instanceof DuckColumn ? column.raw : (column as Uint8Array);
    duckdb.copy_data_to_vector(vector, 0, typed.buffer as ArrayBuffer, typed.byteOffset + start * width, n * width);
    const long = column instanceof DuckColumn ? column.long : undefined;
    if (long) {
      for (let i = 0; i < n; i++) {
        const str = long[start + i];
        if (str !== undefined) duckdb.vector_assign_string_element(vector, i, str);
      }
    }
    const valid = column instanceof DuckColumn ? column.valid : null;
    if (valid) {
      for (let i = 0; i < n; i++) {
        if (valid[start + i] === 0) {
          validity[i >> 3] &= ~(1 << (i & 7));
          nulls = true;
        }
      }
      if (nulls) {
        duckdb.vector_ensure_validity_writable(vector);
        duckdb.copy_data_to_vector_validity(vector, 0, validity.buffer, 0, validity.byteLength);
      }
    }
    return;
  }
  const buffer = new ArrayBuffer(n * width);
  const isNull = (i: number, x: unknown) => {
    if (x !== null && x !== undefined) return false;
    validity[i >> 3] &= ~(1 << (i & 7));
    nulls = true;
    return true;
  };
  const bad = (i: number, x: unknown, why: string) => new ValueError(start + i, `${describeValue(x)} ${why} ${t.toString()}`);
  if (ctor) {
    const out = new ctor(buffer, 0, n) as unknown as number[];
    const range = INTEGER_RANGE[id];
    for (let i = 0; i < n; i++) {
      const x = column[start + i];
      if (isNull(i, x)) continue;
      if (typeof x !== 'number' && typeof x !== 'bigint') throw bad(i, x, 'is not a number, for');
      const v = Number(x);
      if (range && !(Number.isInteger(v) && v >= range[0] && v <= range[1])) throw bad(i, x, 'does not fit');
      out[i] = v;
    }
  } else if (id === DuckDBTypeId.BIGINT || id === DuckDBTypeId.TIMESTAMP || id === DuckDBTypeId.TIMESTAMP_TZ || (id === DuckDBTypeId.DECIMAL && width === 8)) {
    const halves = new Int32Array(buffer);
    const big = new BigInt64Array(buffer);
    const dec = id === DuckDBTypeId.DECIMAL ? (t as DuckDBDecimalType) : undefined;
    for (let i = 0; i < n; i++) {
      const x = column[start + i];
      if (isNull(i, x)) continue;
      let v: number | bigint;
      if (id === DuckDBTypeId.BIGINT) {
        if (typeof x !== 'number' && typeof x !== 'bigint') throw bad(i, x, 'is not a number, for');
        v = x;
        if (typeof v === 'number' && !(Number.isInteger(v) && Math.abs(v) < 2 ** 63)) throw bad(i, x, 'does not fit');
      } else if (dec) v = scaledDecimal(x, dec, () => bad(i, x, 'does not fit'));
      else {
        if (!(x instanceof Date) || Number.isNaN(x.getTime())) throw bad(i, x, 'is not a valid Date, for');
        const ms = x.getTime();
        v = Number.isSafeInteger(ms * 1000) ? ms * 1000 : BigInt(ms) * 1000n;
      }
      if (typeof v === 'number' && Number.isSafeInteger(v)) {
        halves[2 * i] = v >>> 0;
        halves[2 * i + 1] = Math.floor(v / TWO_32);
      } else {
        const b = typeof v === 'bigint' ? v : BigInt(v);
        if (BigInt.asIntN(64, b) !== b) throw bad(i, x, 'does not fit');
        big[i] = b;
      }
    }
  } else if (id === DuckDBTypeId.DECIMAL && width === 16) {
    const dec = t as DuckDBDecimalType;
    const words = new Int32Array(buffer);
    const big = new BigInt64Array(buffer);
    for (let i = 0; i < n; i++) {
      const x = column[start + i];
      if (isNull(i, x)) continue;
      const v = scaledDecimal(x, dec, () => bad(i, x, 'does not fit'));
      if (typeof v === 'number' && Number.isSafeInteger(v)) {
        words[4 * i] = v >>> 0;
        words[4 * i + 1] = Math.floor(v / TWO_32);
        words[4 * i + 2] = words[4 * i + 3] = v < 0 ? -1 : 0;
      } else {
        const b = typeof v === 'bigint' ? v : BigInt(v);
        big[2 * i] = BigInt.asIntN(64, b);
        big[2 * i + 1] = BigInt.asIntN(64, b >> 64n);
      }
    }
  } else if (id === DuckDBTypeId.DECIMAL) {
    const dec = t as DuckDBDecimalType;
    const out = width === 2 ? new Int16Array(buffer) : new Int32Array(buffer);
    for (let i = 0; i < n; i++) {
      const x = column[start + i];
      if (!isNull(i, x)) out[i] = Number(scaledDecimal(x, dec, () => bad(i, x, 'does not fit')));
    }
  } else if (id === DuckDBTypeId.BOOLEAN) {
    const out = new Uint8Array(buffer);
    for (let i = 0; i < n; i++) {
      const x = column[start + i];
      if (isNull(i, x)) continue;
      if (typeof x !== 'boolean') throw bad(i, x, 'is not a boolean, for');
      out[i] = x ? 1 : 0;
    }
  } else if (id === DuckDBTypeId.DATE) {
    const out = new Int32Array(buffer);
    for (let i = 0; i < n; i++) {
      const x = column[start + i];
      if (isNull(i, x)) continue;
      if (!(x instanceof Date) || Number.isNaN(x.getTime())) throw bad(i, x, 'is not a valid Date, for');
      out[i] = Math.floor(x.getTime() / DAY_MS);
    }
  } else {
    // VARCHAR: a string of up to 12 UTF-8 bytes is written inline into its 16-byte string_t (zero padded, as
    // DuckDB compares them); a longer one is handed to DuckDB, which copies it into the vector's own heap.
    const bytes = new Uint8Array(buffer);
    const lengths = new Uint32Array(buffer);
    const long: number[] = [];
    for (let i = 0; i < n; i++) {
      const x = column[start + i];
      if (isNull(i, x)) continue;
      const str = typeof x === 'string' ? x : String(x);
      if (str.length > 12) {
        long.push(i);
        continue;
      }
      let k = 0;
      for (; k < str.length; k++) {
        const code = str.charCodeAt(k);
        if (code > 127) break;
        bytes[i * 16 + 4 + k] = code;
      }
      if (k === str.length) lengths[i * 4] = k;
      else {
        const { written, read } = encoder.encodeInto(str, bytes.subarray(i * 16 + 4, i * 16 + 16));
        if (read === str.length) {
          bytes.fill(0, i * 16 + 4 + written, i * 16 + 16);
          lengths[i * 4] = written;
        } else {
          bytes.fill(0, i * 16 + 4, i * 16 + 16);
          long.push(i);
        }
      }
    }
    duckdb.copy_data_to_vector(vector, 0, buffer, 0, buffer.byteLength);
    for (const i of long) {
      const x = column[start + i];
      duckdb.vector_assign_string_element(vector, i, typeof x === 'string' ? x : String(x));
    }
  }
  if (id !== DuckDBTypeId.VARCHAR) duckdb.copy_data_to_vector(vector, 0, buffer, 0, buffer.byteLength);
  if (nulls) {
    duckdb.vector_ensure_validity_writable(vector);
    duckdb.copy_data_to_vector_validity(vector, 0, validity.buffer, 0, validity.byteLength);
  }
}
