import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendColumns, DuckColumn, readColumns, ValueError } from './columns.js';
// The library as eider loads it (the bundle, see load.ts): its value classes are the ones columns.ts checks against.
import { duckdbApi } from './load.js';

/** Every type with a direct path, a NULL in each, over several vectors (5,000 rows), plus types that take the library's path. */
const SOURCE = `
select
  (range % 100)::tinyint as i8, range::smallint as i16, range::integer as i32, range::bigint * 1000003 as i64,
  (range % 200)::utinyint as u8, range::usmallint as u16, range::uinteger as u32,
  (range / 3)::float as f32, range / 7 as f64,
  (range % 999 / 10)::decimal(4,1) as d4, (range * 1.25)::decimal(9,2) as d9, (range * 1001.125)::decimal(18,3) as d18,
  (range * 123456789012.5)::decimal(38,1) as d38,
  'k' || (range % 37) as short_ascii, 'a longer string value ' || range as long_ascii, 'été ' || (range % 5) as short_utf8,
  'Grüße aus Köln, Nummer ' || range as long_utf8, '' as empty, 'exactly12chr' as twelve, 'ü12345678901' as over12bytes,
  range % 3 = 0 as flag, date '1969-12-25' + range::integer as day, timestamp '1969-12-31 23:59:58.5' + range * interval 1 second as at,
  timestamptz '2024-03-01 10:00:00+00' + range * interval 1 minute as at_tz,
  range::hugeint * 17014118346046923173168730371588 as huge, [range, range + 1] as list, {'a': range} as struct,
  uuid '00000000-0000-0000-0000-000000000001' as id
from range(5000)`;

const NULLS = ['i8', 'i16', 'i32', 'i64', 'u8', 'u16', 'u32', 'f32', 'f64', 'd4', 'd9', 'd18', 'd38', 'short_ascii', 'long_ascii', 'short_utf8', 'long_utf8', 'empty', 'flag', 'day', 'at', 'at_tz', 'huge', 'list', 'struct', 'id'];

let instance: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  instance = await duckdbApi.DuckDBInstance.create(':memory:');
  conn = await instance.connect();
  await conn.run(`create table src as ${SOURCE}`);
  // A NULL in every column, in different vectors, and a vector of NULLs only in one column.
  for (const [k, c] of NULLS.entries()) await conn.run(`update src set "${c}" = null where i32 % 500 = ${k} or (i32 between 2048 and 4095 and '${c}' = 'd18')`);
});
afterAll(() => conn.closeSync());

const same = async (a: string, b: string) => {
  const r = await conn.runAndReadAll(`select (select count(*) from (from ${a} except all from ${b})) + (select count(*) from (from ${b} except all from ${a})) as diff, (select count(*) from ${a}) as n`);
  return r.getRowObjectsJS()[0];
};

describe('columnar transfer for JS models', () => {
  it('reads every value as the library\'s own JS converter gives it', async () => {
    const mine = await readColumns(conn, 'select * from src order by i32');
    const theirs = (await conn.runAndReadAll('select * from src order by i32')).getColumnsJS();
    expect(mine.names.length).toBe(theirs.length);
    mine.columns.forEach((col, c) => {
      const values = col instanceof DuckColumn ? col.toArray() : Array.from(col as ArrayLike<unknown>);
      expect({ column: mine.names[c], values }).toEqual({ column: mine.names[c], values: theirs[c] });
    });
    // Numeric columns without NULLs arrive as typed arrays; the rest keep DuckDB's layout until read.
    const byName = Object.fromEntries(mine.names.map((n, i) => [n, mine.columns[i]]));
    expect(byName.day).toBeInstanceOf(DuckColumn);
    expect((byName.day as DuckColumn).at(1)).toBeInstanceOf(Date);
    expect((byName.d18 as DuckColumn).at(2049)).toBeNull();
  });

  it('reads the columns without NULLs as typed arrays', async () => {
    const r = await readColumns(conn, 'select range::integer as a, range * 0.5 as b, range::bigint as c, range::double as d from range(3000)');
    expect(r.columns[0]).toBeInstanceOf(Int32Array);
    expect(r.columns[2]).toBeInstanceOf(BigInt64Array);
    expect(r.columns[3]).toBeInstanceOf(Float64Array);
    expect((r.columns[3] as Float64Array)[2999]).toBe(2999);
  });

  it('writes the columns it read back unchanged: a copy per vector', async () => {
    const r = await readColumns(conn, 'select * from src');
    await conn.run('create or replace table copy as from src limit 0');
    expect(await appendColumns(conn, 'main', 'copy', r.columns)).toBe(5000);
    expect(await same('src', 'copy')).toEqual({ diff: 0n, n: 5000n });
  });

  it('writes plain JS values of every type: numbers, bigints, strings, booleans, Dates and NULLs', async () => {
    const r = await readColumns(conn, 'select * from src');
    // What a model that rebuilt every column would return: plain arrays.
    const arrays = r.columns.map((c) => (c instanceof DuckColumn ? c.toArray() : Array.from(c as ArrayLike<unknown>)));
    await conn.run('create or replace table rebuilt as from src limit 0');
    await appendColumns(conn, 'main', 'rebuilt', arrays);
    // Doubles round trip DECIMAL(38,1) only to 15 significant digits; every other column comes back exactly.
    const exact = r.names.filter((n) => n !== 'd38').map((n) => `"${n}"`).join(', ');
    expect(await same(`(select ${exact} from src)`, `(select ${exact} from rebuilt)`)).toEqual({ diff: 0n, n: 5000n });
    const d38 = await conn.runAndReadAll('select count(*) as bad from src join rebuilt using (i32) where abs(src.d38 - rebuilt.d38) > abs(src.d38) * 1e-14');
    expect(d38.getRowObjectsJS()[0]).toEqual({ bad: 0n });
  });

  it('writes short strings inline and long ones through DuckDB, so that both compare and hash as DuckDB\'s own', async () => {
    const values = ['', 'a', 'exactly12chr', 'thirteen char', 'é', 'ü12345678901', '日本語テキスト', 'x'.repeat(5000), null, '\u{1F986} duck'];
    await conn.run('create or replace table s (v varchar)');
    await appendColumns(conn, 'main', 's', [values]);
    const r = await conn.runAndReadAll(
      `select count(*) filter (where v in ('', 'a', 'exactly12chr', 'thirteen char', 'é', 'ü12345678901', '日本語テキスト', repeat('x', 5000), '\u{1F986} duck')) as found, count(distinct v) as distinct_values, count(*) filter (where v is null) as nulls from s`,
    );
    expect(r.getRowObjectsJS()[0]).toEqual({ found: 9n, distinct_values: 9n, nulls: 1n });
    const read = (await readColumns(conn, 'select v from s')).columns[0] as DuckColumn;
    expect(read.toArray()).toEqual(values);
    // Written back as it was read (short ones copied, long ones handed to DuckDB again), the strings are the same.
    await conn.run('create or replace table s2 (v varchar)');
    await appendColumns(conn, 'main', 's2', [read]);
    expect(await same('s', 's2')).toEqual({ diff: 0n, n: 10n });
  });

  it('reads values beyond doubles\' exact range as the library does: far timestamps, wide decimals', async () => {
    const sql = `select * from (values
      (timestamp '9999-12-31 23:59:59.999999', timestamp '1600-01-01 00:00:00.001999', -123456789012345.678::decimal(18,3), 12345678901234567890123.45::decimal(38,2), 123456789012345.678::decimal(38,3)),
      (timestamp '2500-01-01 00:00:00.001999', timestamp '1969-12-31 23:59:59.9995', 0.001::decimal(18,3), -0.01::decimal(38,2), -123456789012345.678::decimal(38,3))
    ) as t(far, old, d18, d38, d38b)`;
    const mine = await readColumns(conn, sql);
    const theirs = (await conn.runAndReadAll(sql)).getColumnsJS();
    mine.columns.forEach((col, c) => expect((col as DuckColumn).toArray()).toEqual(theirs[c]));
  });

  it('refuses a value its column cannot hold, naming the column and the row, instead of storing another', async () => {
    const attempt = async (type: string, values: unknown[]) => {
      await conn.run(`create or replace table w (v ${type})`);
      try {
        await appendColumns(conn, 'main', 'w', [values]);
        return 'stored';
      } catch (e) {
        expect(e).toBeInstanceOf(ValueError);
        return (e as Error).message;
      }
    };
    expect(await attempt('tinyint', [1, 300])).toBe('column "v", row 2: 300 does not fit TINYINT');
    expect(await attempt('integer', [1.5])).toBe('column "v", row 1: 1.5 does not fit INTEGER');
    expect(await attempt('bigint', [1e20])).toBe('column "v", row 1: 100000000000000000000 does not fit BIGINT');
    expect(await attempt('bigint', [2n ** 64n])).toBe('column "v", row 1: 18446744073709551616n does not fit BIGINT');
    expect(await attempt('decimal(4,1)', [999.9, 5000])).toBe('column "v", row 2: 5000 does not fit DECIMAL(4,1)');
    expect(await attempt('date', [new Date('x')])).toBe('column "v", row 1: Invalid Date is not a valid Date, for DATE');
    expect(await attempt('timestamp', [new Date(0), 'soon'])).toBe('column "v", row 2: "soon" is not a valid Date, for TIMESTAMP');
    // What fits is stored exactly: halves of DECIMAL round away from zero, as DuckDB's cast does; far timestamps keep their microseconds.
    expect(await attempt('decimal(9,2)', [-0.125, 0.125])).toBe('stored');
    expect((await conn.runAndReadAll('select v::varchar as v from w')).getRowObjectsJS()).toEqual([{ v: '-0.13' }, { v: '0.13' }]);
    expect(await attempt('timestamp', [new Date('5000-01-01T00:00:00.001Z')])).toBe('stored');
    expect((await conn.runAndReadAll('select v::varchar as v from w')).getRowObjectsJS()).toEqual([{ v: '5000-01-01 00:00:00.001' }]);
  });

  it('reads DATE and TIMESTAMP values a JS Date cannot hold with an error, as the library does', async () => {
    const r = await readColumns(conn, "select 'infinity'::date as d, 'infinity'::timestamp as t");
    expect(() => (r.columns[0] as DuckColumn).at(0)).toThrow(/DATE value out of range for JS Date/);
    expect(() => (r.columns[1] as DuckColumn).at(0)).toThrow(/TIMESTAMP value out of range for JS Date/);
    // Passed through unchanged, they are copied as they are.
    await conn.run('create or replace table inf (d date, t timestamp)');
    await appendColumns(conn, 'main', 'inf', r.columns);
    expect((await conn.runAndReadAll('select d::varchar as d, t::varchar as t from inf')).getRowObjectsJS()).toEqual([{ d: 'infinity', t: 'infinity' }]);
  });
});
