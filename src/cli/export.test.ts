import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import { BIN, queryFile, runCli, testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

/** Every type Arrow export maps, with NULLs, long and non-ASCII strings, over several DuckDB chunks (5,000 rows). */
const TYPED = `{{config materialized="table"}}
select
  (i % 100)::tinyint as i8, (i * 3)::smallint as i16, i::integer as i32, (i * 1000000007)::bigint as i64, i::ubigint as u64,
  (i / 4)::float as f32, (i / 3)::double as f64,
  (i % 999 / 10)::decimal(4,1) as d4, (i / 100)::decimal(9,2) as d9, (i * 1000.123)::decimal(18,3) as d18, (-i * 123456789.12345)::decimal(38,5) as d38,
  case when i % 7 = 0 then null when i % 2 = 0 then 'short' || i else 'a much longer value, née ' || i end as s,
  case when i % 5 = 0 then null else i % 3 = 0 end as b,
  date '2024-01-01' + (i % 400)::int as dt,
  timestamp '2024-01-01 00:00:00.123456' + i * interval 61 second as ts,
  timestamptz '2024-01-01 00:00:00+00' + i * interval 1 hour as tz,
  time '00:00:00' + i * interval 1 second as tm
from range(5000) t(i)`;

const ORDERS = {
  'seeds/raw_orders.csv': 'order_id,status,amount,day\n1,paid,10.50,2024-01-01\n2,open,3.25,2024-01-02\n3,paid,7.00,2024-02-01\n',
  'models/orders.sql': '{{config materialized="table"}}\nselect order_id, status, cast(amount as decimal(10,2)) as amount, cast(day as date) as day, year(cast(day as date)) as year, month(cast(day as date)) as month from {{ref "raw_orders"}}',
  'models/paid.sql': 'select * from {{ref "orders"}} where status = \'paid\'',
};

/** The rows of a query on the dev file, the exported file read in the same DuckDB. */
const query = (sql: string) => queryFile(p!.db, sql);
/** Rows the model has that the file has not, and the other way round: 0 and 0 when equal. */
async function differences(model: string, read: string): Promise<[number, number]> {
  const [r] = await query(`select (select count(*) from (select * from ${model} except all select * from ${read}))::int as a, (select count(*) from (select * from ${read} except all select * from ${model}))::int as b`);
  return [r.a as number, r.b as number];
}
const types = async (from: string) => (await query(`select column_name, column_type from (describe select * from ${from})`)).map((r) => `${r.column_name} ${r.column_type}`);

describe('eider export', () => {
  it('Parquet, CSV, JSON lines and a JSON array, read back by DuckDB with the model\'s values (and types for Parquet)', async () => {
    p = testProject({ ...ORDERS, 'models/typed.sql': TYPED });
    expect((await p.run('build')).code).toBe(0);
    const out = join(p.dir, 'out');
    for (const [file, reader] of [['typed.parquet', 'read_parquet'], ['orders.csv', 'read_csv'], ['orders.json', 'read_json'], ['orders.jsonl', 'read_json']] as const) {
      const model = file.split('.')[0];
      const r = await p.run('export', '-s', model, '--out', `out/${file}`);
      expect(r.stderr).toBe('reading warehouse/dev.duckdb (target dev, read-only)\n');
      expect(r.code).toBe(0);
      const rows = model === 'typed' ? 5000 : 3;
      expect(r.stdout).toBe(`Exported ${rows.toLocaleString('en-US')} rows of ${model} to out/${file} (${file.endsWith('parquet') ? 'parquet' : file.endsWith('csv') ? 'csv' : 'json'})\n`);
      expect(await differences(model, `${reader}('${join(out, file)}')`), file).toEqual([0, 0]);
    }
    expect(await types(`read_parquet('${join(out, 'typed.parquet')}')`)).toEqual(await types('typed'));
    expect(readFileSync(join(out, 'orders.jsonl'), 'utf8').split('\n')[0]).toBe('{"order_id":1,"status":"paid","amount":10.5,"day":"2024-01-01","year":2024,"month":1}');

    const arr = await p.run('export', '-s', 'orders', '--out', 'out/array.json', '--format', 'json-array', '--where', "status = 'paid'");
    expect(arr.code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'array.json'), 'utf8')).map((o: { order_id: number }) => o.order_id)).toEqual([1, 3]);
    expect(readdirSync(out).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('Arrow IPC: every mapped type, with NULLs, read back by apache-arrow with the model\'s values', async () => {
    p = testProject({ 'models/typed.sql': TYPED });
    expect((await p.run('build')).code).toBe(0);
    const r = await p.run('export', '-s', 'typed', '--out', 'typed.arrow');
    expect(r.stdout).toBe('Exported 5,000 rows of typed to typed.arrow (arrow)\n');
    const t: Table = tableFromIPC(readFileSync(join(p.dir, 'typed.arrow')));
    expect(t.schema.fields.map((f) => `${f.name} ${f.type}`)).toEqual([
      'i8 Int8', 'i16 Int16', 'i32 Int32', 'i64 Int64', 'u64 Uint64', 'f32 Float32', 'f64 Float64',
      'd4 Decimal[4e+1]', 'd9 Decimal[9e+2]', 'd18 Decimal[18e+3]', 'd38 Decimal[38e+5]',
      's Utf8', 'b Bool', 'dt Date32<DAY>', 'ts Timestamp<MICROSECOND>', 'tz Timestamp<MICROSECOND, UTC>', 'tm Time64<MICROSECOND>',
    ]);
    expect(t.numRows).toBe(5000);
    // The model's values, in the forms apache-arrow gives them: decimals as unscaled integers, dates and timestamps as epoch milliseconds.
    const expected = await query(`select i8, i16, i32, i64::varchar as i64, u64::varchar as u64, f32, f64,
      (d4 * 10)::hugeint::varchar as d4, (d9 * 100)::hugeint::varchar as d9, (d18 * 1000)::hugeint::varchar as d18, (d38 * 100000)::hugeint::varchar as d38,
      s, b, epoch_ms(dt::timestamp)::double as dt, epoch_us(ts)::varchar as ts, epoch_us(tz)::varchar as tz, (epoch(tm) * 1000000)::bigint::varchar as tm from typed order by i32`);
    const micros = (name: string) => Array.from(t.getChild(name)!.data.flatMap((d) => Array.from(d.values as BigInt64Array, (v, i) => (d.getValid(i) ? String(v) : null))));
    const got = (name: string, f: (v: unknown) => unknown = (v) => v): unknown[] =>
      Array.from({ length: t.numRows }, (_, i) => {
        const v: unknown = t.getChild(name)!.get(i);
        return v === null ? null : f(v);
      });
    for (const name of ['i8', 'i16', 'i32', 'f64', 's', 'b', 'dt']) expect(got(name), name).toEqual(expected.map((e) => e[name]));
    expect(got('f32')).toEqual(expected.map((e) => Math.fround(e.f32 as number)));
    for (const name of ['i64', 'u64', 'd4', 'd9', 'd18', 'd38']) expect(got(name, String), name).toEqual(expected.map((e) => e[name]));
    for (const name of ['ts', 'tz', 'tm']) expect(micros(name), name).toEqual(expected.map((e) => e[name]));
    expect(got('s').filter((v) => v === null)).toHaveLength(715);

    // HUGEINT (what sum() of integers gives) as Decimal128(38, 0): negative, past 64 bits, NULL.
    p.write('models/huge.sql', '{{config materialized="table"}}\nselect i, case when i % 11 = 0 then null else (i - 2500)::hugeint * 100000000000000000000 end as hi, sum(i) over (order by i) as running from range(5000) t(i)');
    expect((await p.run('build', '-s', 'huge')).code).toBe(0);
    expect((await p.run('export', '-s', 'huge', '--out', 'huge.arrow')).code).toBe(0);
    const h: Table = tableFromIPC(readFileSync(join(p.dir, 'huge.arrow')));
    expect(h.schema.fields.map((f) => `${f.name} ${f.type}`)).toEqual(['i Int64', 'hi Decimal[38e0]', 'running Decimal[38e0]']);
    const want = await query('select hi::varchar as hi, running::varchar as running from huge order by i');
    for (const name of ['hi', 'running']) {
      const values = Array.from({ length: h.numRows }, (_, i) => h.getChild(name)!.get(i));
      expect(values.map((v) => (v === null ? null : String(v))), name).toEqual(want.map((e) => e[name]));
    }
  });

  it('Arrow IPC streams a large result in record batches of 64K rows', async () => {
    p = testProject({ 'models/big.sql': '{{config materialized="table"}}\nselect range as id, case when range % 3 = 0 then null else \'v\' || range end as s from range(150001)' });
    expect((await p.run('build')).code).toBe(0);
    expect((await p.run('export', '-s', 'big', '--out', 'big.arrow', '--where', 'id % 2 = 0')).code).toBe(0);
    const t = tableFromIPC(readFileSync(join(p.dir, 'big.arrow')));
    expect(t.numRows).toBe(75001);
    expect(t.batches.map((b) => b.numRows)[0]).toBeGreaterThanOrEqual(65536);
    let sum = 0n;
    let nulls = 0;
    for (const v of t.getChild('id')!) sum += v as bigint;
    for (const v of t.getChild('s')!) if (v === null) nulls++;
    expect(sum).toBe(5625075000n);
    expect(nulls).toBe(25001);
    expect(t.getChild('s')!.get(74999)).toBe('v149998');

    // A filter keeping one row in three makes chunks of odd sizes: their NULL bits and booleans are joined bit by bit.
    p.write('models/odd.sql', '{{config materialized="table"}}\nselect range as id, case when range % 5 = 0 then null else \'v\' || range end as s, case when range % 4 = 0 then null else range % 3 = 0 end as b from range(150001)');
    expect((await p.run('build', '-s', 'odd')).code).toBe(0);
    expect((await p.run('export', '-s', 'odd', '--out', 'odd.arrow', '--where', 'id % 3 = 1')).code).toBe(0);
    const o = tableFromIPC(readFileSync(join(p.dir, 'odd.arrow')));
    expect(o.numRows).toBe(50000);
    const wrong = Array.from({ length: o.numRows }, (_, i) => {
      const id = Number(o.getChild('id')!.get(i));
      return id % 3 === 1 && o.getChild('s')!.get(i) === (id % 5 === 0 ? null : `v${id}`) && o.getChild('b')!.get(i) === (id % 4 === 0 ? null : false) ? 0 : 1;
    }).reduce((a: number, b: number) => a + b, 0);
    expect(wrong).toBe(0);
  });

  it('SIGINT stops an export: the file it was writing is removed, the one it replaces stays, exit 130', async () => {
    p = testProject({ 'models/big.sql': '{{config materialized="table"}}\nselect range as id, \'customer_\' || range as s from range(10000000)' });
    expect((await p.run('build')).code).toBe(0);
    for (const format of ['arrow', 'parquet']) {
      writeFileSync(join(p.dir, `big.${format}`), 'the earlier export');
      const child = spawn(process.execPath, [BIN, 'export', '-s', 'big', '--out', `big.${format}`], { cwd: p.dir });
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
        if (String(d).includes('reading ')) setTimeout(() => child.kill('SIGINT'), 500);
      });
      const code = await new Promise<number | null>((res) => child.on('close', res));
      expect(code, format).toBe(130);
      expect(stderr, format).toMatch(new RegExp(`\\ninterrupted by SIGINT: big was not exported \\(big\\.${format} is as it was\\)\\n$`));
      expect(readFileSync(join(p.dir, `big.${format}`), 'utf8')).toBe('the earlier export');
      expect(readdirSync(p.dir).filter((f) => f.includes('eider-export'))).toEqual([]);
    }
  });

  it('a selection writes one file per model into the --out folder; an inline query; a partitioned Parquet folder', async () => {
    p = testProject(ORDERS);
    expect((await p.run('build')).code).toBe(0);
    const many = await p.run('export', '-s', 'orders paid', '--out', 'out', '--format', 'parquet');
    expect(many.stdout).toBe('Exported 3 rows of orders to out/orders.parquet (parquet)\nExported 2 rows of paid to out/paid.parquet (parquet)\n');
    expect(await differences('paid', `read_parquet('${join(p.dir, 'out/paid.parquet')}')`)).toEqual([0, 0]);

    p.write('models/later.sql', '{{config materialized="table"}}\nselect 1 as x');
    const unbuilt = await p.run('export', '-s', 'later', '--out', 'out/later.csv');
    expect(unbuilt.code).toBe(1);
    expect(unbuilt.stderr).toMatch(/\nerror: later: Catalog Error: Table with name later does not exist! \(build it first: eider build -s later\)\n$/);
    expect(existsSync(join(p.dir, 'out/later.csv'))).toBe(false);

    const inline = await p.run('export', '--inline', 'select status, count(*) as n from {{ref "orders"}} group by all order by 1', '--out', 'new/folder/counts.csv');
    expect(inline.stdout).toBe('Exported 2 rows of inline to new/folder/counts.csv (csv)\n');
    expect(readFileSync(join(p.dir, 'new/folder/counts.csv'), 'utf8')).toBe('status,n\nopen,1\npaid,2\n');

    for (let i = 0; i < 2; i++) {
      const part = await p.run('export', '-s', 'orders', '--out', 'parts', '--format', 'parquet', '--partition-by', 'year,month');
      expect(part.stdout).toBe('Exported 3 rows of orders to parts/ (parquet)\n');
      expect(readdirSync(join(p.dir, 'parts/year=2024')).sort()).toEqual(['month=1', 'month=2']);
      expect(await differences('orders', `(select order_id, status, amount, day, year, month from read_parquet('${join(p.dir, 'parts')}/**/*.parquet', hive_partitioning = true))`)).toEqual([0, 0]);
    }
  });
});

/** Each case: exit 2, nothing on stdout, the one message given (or one line when none is given). */
async function expectRefused(cases: ReadonlyArray<[string[], string]>): Promise<void> {
  for (const [args, stderr] of cases) {
    const r = await p!.run('export', ...args);
    const what = args.join(' ');
    expect(r.code, what).toBe(2);
    expect(r.stdout, what).toBe('');
    if (stderr) expect(r.stderr.replace('reading warehouse/dev.duckdb (target dev, read-only)\n', ''), what).toBe(stderr);
    else expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('reading ')), what).toHaveLength(1);
  }
}

describe('eider export: links, pipes and devices', () => {
  it('follows a symbolic link (the file it names is replaced, the link stays); writes a pipe or /dev/stdout straight through, summary on stderr', async () => {
    p = testProject(ORDERS);
    expect((await p.run('build')).code).toBe(0);
    mkdirSync(join(p.dir, 'real'));
    writeFileSync(join(p.dir, 'real/orders.csv'), 'old\n');
    symlinkSync(join(p.dir, 'real/orders.csv'), join(p.dir, 'latest.csv'));
    for (const format of ['csv', 'arrow']) {
      const r = await p.run('export', '-s', 'orders', '--out', 'latest.csv', '--format', format);
      expect(r.code, r.stderr).toBe(0);
      expect(lstatSync(join(p.dir, 'latest.csv')).isSymbolicLink()).toBe(true);
      if (format === 'csv') expect(readFileSync(join(p.dir, 'real/orders.csv'), 'utf8')).toMatch(/^order_id,status,amount,day,year,month\n1,paid,10\.50,2024-01-01,2024,1\n/);
    }
    // A link to the process's stdout (what /dev/stdout is), piped by a shell as a user does (`| head`): the rows are
    // the command's output, the summary goes to stderr, the link stays.
    symlinkSync('/proc/self/fd/1', join(p.dir, 'stdout'));
    for (const format of ['csv', 'json']) {
      const out = execFileSync('sh', ['-c', `"${process.execPath}" "${BIN}" export -s paid --out stdout --format ${format} 2>summary.txt | cat`], { cwd: p.dir, encoding: 'utf8' });
      expect(lstatSync(join(p.dir, 'stdout')).isSymbolicLink()).toBe(true);
      expect(out.trim().split('\n')).toHaveLength(format === 'csv' ? 3 : 2);
      expect(readFileSync(join(p.dir, 'summary.txt'), 'utf8')).toMatch(/Exported 2 rows of paid to stdout \((csv|json)\)\n$/);
    }
    // Standard output redirected to a file, emptied (>) or appended to (>>): written through, never replaced (a
    // rename over /dev/fd/1 would fail; one over the file it links to lost it, or what >> kept).
    const redirected = (op: string) => execFileSync('sh', ['-c', `"${process.execPath}" "${BIN}" export -s paid --out /dev/fd/1 --format csv 2>summary.txt ${op} out.csv`], { cwd: p!.dir, encoding: 'utf8' });
    const rows = 'order_id,status,amount,day,year,month\n1,paid,10.50,2024-01-01,2024,1\n3,paid,7.00,2024-02-01,2024,2\n';
    redirected('>');
    expect(readFileSync(join(p.dir, 'out.csv'), 'utf8')).toBe(rows);
    expect(readFileSync(join(p.dir, 'summary.txt'), 'utf8')).toMatch(/Exported 2 rows of paid to \/dev\/fd\/1 \(csv\)\n$/);
    redirected('>>');
    expect(readFileSync(join(p.dir, 'out.csv'), 'utf8')).toBe(rows + rows);
    // `--out -` is standard output, as for most tools (it wrote a file named "-").
    const dash = execFileSync('sh', ['-c', `"${process.execPath}" "${BIN}" export -s paid --out - --format csv 2>summary.txt | cat`], { cwd: p.dir, encoding: 'utf8' });
    expect(dash).toBe(rows);
    expect(existsSync(join(p.dir, '-'))).toBe(false);
    // A named pipe another process reads.
    execFileSync('mkfifo', [join(p.dir, 'pipe.csv')]);
    const reader = spawn('cat', [join(p.dir, 'pipe.csv')]);
    let read = '';
    reader.stdout.on('data', (d: Buffer) => (read += d.toString()));
    const closed = new Promise((r) => reader.on('close', r));
    const r = await p.run('export', '-s', 'paid', '--out', 'pipe.csv');
    await closed;
    expect(r.code, r.stderr).toBe(0);
    expect(read).toBe('order_id,status,amount,day,year,month\n1,paid,10.50,2024-01-01,2024,1\n3,paid,7.00,2024-02-01,2024,2\n');
    expect(lstatSync(join(p.dir, 'pipe.csv')).isFIFO()).toBe(true);
  }, 60_000);
});

describe('eider export: bad input (one message, exit 2, nothing written)', () => {
  it('formats, flags, paths and names', async () => {
    p = testProject(ORDERS);
    expect((await p.run('build')).code).toBe(0);
    writeFileSync(join(p.dir, 'afile'), '');
    mkdirSync(join(p.dir, 'mine'));
    writeFileSync(join(p.dir, 'mine/notes.txt'), 'keep');
    await expectRefused([
      [['-s', 'orders', '--out', 'o.xlsx'], 'cannot tell the format from "o.xlsx": use --format (csv, json, json-array, parquet, arrow) or an extension (.csv .json .jsonl .ndjson .parquet .arrow .feather .ipc)\n'],
      [['-s', 'orders', '--out', 'o.x', '--format', 'parket'], '--format must be one of csv, json, json-array, parquet, arrow, not "parket" (did you mean "parquet"?)\n'],
      [['-s', 'orders', '--out', 'o.csv', '--partition-by', 'year'], '--partition-by writes Hive-partitioned Parquet folders: it needs --format parquet, not csv\n'],
      [['-s', 'orders', '--out', 'p', '--format', 'parquet', '--partition-by', 'yaer'], '--partition-by: orders has no column "yaer" (did you mean "year"?)\n'],
      [['-s', 'orders', '--out', 'mine', '--format', 'parquet', '--partition-by', 'year'], '--out: cannot write mine: it holds files that are not an earlier export partitioned by year (eider replaces only those): pick another --out\n'],
      [['-s', 'orders', '--out', '/dev/null', '--format', 'parquet', '--partition-by', 'year'], '--out: cannot write /dev/null: a partitioned export writes a folder of files, and this is a pipe or a device\n'],
      [['-s', 'orders', '--out', 'afile/o.csv'], '--out: cannot write afile/o.csv: a file stands where a folder is needed\n'],
      // A folder that cannot be made under a pseudo-filesystem is an error, not a loop (Node's recursive mkdir spins there).
      [['-s', 'orders', '--out', '/proc/1/eider/o.csv'], "--out: cannot write /proc/1/eider/o.csv: ENOENT: no such file or directory, mkdir '/proc/1/eider'\n"],
      [['-s', 'orders', '--out', 'mine', '--format', 'csv'], '--out: cannot write mine: it is a folder\n'],
      [['-s', 'orders', '--out', 'warehouse/dev.duckdb', '--format', 'csv'], "--out: cannot write warehouse/dev.duckdb: it is a DuckDB database file (a warehouse, maybe this target's own): eider export never replaces one\n"],
      [['-s', 'orders paid', '--out', 'out'], 'exporting 2 nodes into the folder out: say which format with --format (csv, json, json-array, parquet, arrow)\n'],
      [['-s', 'not_a_model', '--out', 'o.csv'], '--select: no node is named "not_a_model"\n'],
      [['--out', 'o.csv'], 'eider export needs either -s <model> or --inline "select …" (one of them)\n'],
    ]);
    expect(readdirSync(p.dir).filter((f) => /^o\.|^\.o\.|^p$|^out$/.test(f))).toEqual([]);
    expect(readdirSync(join(p.dir, 'mine'))).toEqual(['notes.txt']);
    expect((await p.run('build')).code).toBe(0); // the target's file is intact
  });

  it('--where that is not one condition, a type Arrow export does not write', async () => {
    p = testProject({ ...ORDERS, 'models/odd.sql': 'select interval 1 day as iv, 1 as n' });
    expect((await p.run('build')).code).toBe(0);
    await expectRefused([
      [['-s', 'orders', '--out', 'o.csv', '--where', '1=1; drop table orders'], '--where must be one SQL condition, e.g. --where "amount > 100 and status = \'paid\'": it holds more than one statement\n'],
      [['-s', 'orders', '--out', 'o.csv', '--where', '1=1) union all select * from orders where (1=1'], '--where must be one SQL condition, e.g. --where "amount > 100 and status = \'paid\'": it reaches out of its parentheses into the query around it\n'],
      [['-s', 'orders', '--out', 'o.csv', '--where', 'stauts = 1'], ''],
      [['-s', 'odd', '--out', 'o.arrow'], '--format arrow: column "iv" (INTERVAL) has a type eider does not write to Arrow IPC (supported: integers, FLOAT, DOUBLE, DECIMAL, VARCHAR, BOOLEAN, DATE, TIME, TIMESTAMP [WITH TIME ZONE]); cast it in an --inline query, or export to parquet\n'],
    ]);
    expect(readdirSync(p.dir).filter((f) => /^o\.|^\.o\./.test(f))).toEqual([]);
    expect(await query('select count(*)::int as n from orders')).toEqual([{ n: 3 }]);
  });

  it('before the first build: exit 1, saying so, as for a model not built yet', async () => {
    p = testProject(ORDERS);
    const r = await p.run('export', '-s', 'orders', '--out', 'o.csv');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: target "dev" has no database file yet (warehouse/dev.duckdb): run eider build first\n');
    expect(existsSync(join(p.dir, 'o.csv'))).toBe(false);
  });

  it('several nodes: a --where or --partition-by one of them cannot take writes no file (exit 2), naming that node', async () => {
    p = testProject({ ...ORDERS, 'models/other.sql': 'select 1 as id' });
    expect((await p.run('build')).code).toBe(0);
    const where = await p.run('export', '-s', 'orders other', '--format', 'csv', '--out', 'many', '--where', "status = 'paid'");
    expect(where.code).toBe(2);
    expect(where.stderr).toMatch(/^--where on other: Binder Error: Referenced column "status" not found/m);
    const files = (dir: string) => (existsSync(join(p!.dir, dir)) ? readdirSync(join(p!.dir, dir)) : []);
    expect(files('many')).toEqual([]);
    const part = await p.run('export', '-s', 'orders other', '--format', 'parquet', '--out', 'parts', '--partition-by', 'year');
    expect(part.code).toBe(2);
    expect(part.stderr).toMatch(/^--partition-by: other has no column "year"/m);
    expect(files('parts')).toEqual([]);
  });
});

describe('eider export: permissions', () => {
  it('a folder it may not write in is refused before anything runs', async () => {
    p = testProject(ORDERS);
    expect((await p.run('build')).code).toBe(0);
    mkdirSync(join(p.dir, 'locked'));
    chmodSync(join(p.dir, 'locked'), 0o555);
    for (const f of ['', 'warehouse', 'warehouse/dev.duckdb']) chmodSync(join(p.dir, f), f.endsWith('duckdb') ? 0o666 : 0o777);
    // root writes anywhere: run as nobody to see what a user sees.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const r = await runCli(p.dir, ['export', '-s', 'orders', '--out', 'locked/o.csv'], {}, asUser);
    expect(r.stderr).toBe('--out: cannot write locked/o.csv: no permission to write in locked\n');
    expect(r.code).toBe(2);
    expect(existsSync(join(p.dir, 'locked/o.csv'))).toBe(false);
  });
});
