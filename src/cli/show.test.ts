import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { BIN, testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const ORDERS = {
  'seeds/raw_orders.csv': 'order_id,status,amount,note\n1,paid,10.50,short\n2,open,3.25,\n3,paid,7.00,' + 'x'.repeat(60) + '\n',
  'models/stg_orders.sql': 'select order_id, status, cast(amount as decimal(10,2)) as amount, note, cast(\'2024-01-0\' || order_id as date) as day from {{ref "raw_orders"}}',
  'models/paid.sql': '{{config materialized="ephemeral"}}\nselect * from {{ref "stg_orders"}} where status = \'paid\'',
  'models/paid_total.sql': '{{config materialized="table"}}\nselect sum(amount) as total from {{ref "paid"}}',
  'models/stg_orders.yml': 'models:\n  - name: stg_orders\n    columns:\n      - name: order_id\n        tests: [unique]\n',
};

describe('eider show', () => {
  it('prints the first rows of a model as an aligned table with column types, wide values cut at 40 characters', async () => {
    p = testProject(ORDERS);
    expect((await p.run('build')).code).toBe(0);
    const r = await p.run('show', '-s', 'stg_orders');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('reading warehouse/dev.duckdb (target dev, read-only)\n');
    expect(r.stdout).toBe(
      [
        '| order_id | status  | amount        | note                                     | day        |',
        '| BIGINT   | VARCHAR | DECIMAL(10,2) | VARCHAR                                  | DATE       |',
        '|----------|---------|---------------|------------------------------------------|------------|',
        '|        1 | paid    |         10.50 | short                                    | 2024-01-01 |',
        '|        2 | open    |          3.25 | NULL                                     | 2024-01-02 |',
        `|        3 | paid    |          7.00 | ${'x'.repeat(39)}… | 2024-01-03 |`,
        '(3 rows)',
        '',
      ].join('\n'),
    );
    const limited = await p.run('show', '-s', 'stg_orders', '--limit', '2');
    expect(limited.stdout.split('\n').slice(3)).toEqual(['|        1 | paid    |         10.50 | short   | 2024-01-01 |', '|        2 | open    |          3.25 | NULL    | 2024-01-02 |', '(the first 2 rows; --limit N shows more)', '']);
    // Numbers are right-aligned; a list of numbers is not a number.
    const lists = await p.run('show', '--inline', 'select [1, 22] as l, 333 as n union all select [4444], 5');
    expect(lists.stdout.split('\n').slice(0, 5)).toEqual(['| l         | n       |', '| INTEGER[] | INTEGER |', '|-----------|---------|', '| [1,22]    |     333 |', '| [4444]    |       5 |']);
  });

  it('runs the compiled SQL, not the built table: an edit shows before a build', async () => {
    p = testProject(ORDERS);
    expect((await p.run('build')).code).toBe(0);
    p.write('models/paid_total.sql', '{{config materialized="table"}}\nselect sum(amount) * 2 as doubled from {{ref "paid"}}');
    const r = await p.run('show', '-s', 'paid_total', '-o', 'csv');
    expect(r.stdout).toBe('doubled\n35.00\n');
  });

  it('--inline compiles its text like a model ({{ref}}, ephemeral models as CTEs); json and csv output', async () => {
    p = testProject(ORDERS);
    expect((await p.run('build')).code).toBe(0);
    const inline = 'select order_id, amount, note, order_id::int as small, 1.5::double as d, true as ok from {{ref "paid"}} order by order_id';
    const json = await p.run('show', '--inline', inline, '-o', 'json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([
      { order_id: '1', amount: '10.50', note: 'short', small: 1, d: 1.5, ok: true },
      { order_id: '3', amount: '7.00', note: 'x'.repeat(60), small: 3, d: 1.5, ok: true },
    ]);
    const csv = await p.run('show', '--inline', 'select \'a,"b"\' as s, null as n, {{var "k" 7}} as v', '-o', 'csv', '--vars', '{k: 8}');
    expect(csv.stdout).toBe('s,n,v\n"a,""b""",,8\n');
  });

  it('an ephemeral model is shown by running its SQL with its CTEs', async () => {
    p = testProject(ORDERS);
    expect((await p.run('build')).code).toBe(0);
    const r = await p.run('show', '-s', 'paid', '-o', 'csv');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').map((l) => l.split(',')[0])).toEqual(['order_id', '1', '3', '']);
  });

  it('the limit is in the query: a model of 10 billion rows shows its first ones at once', async () => {
    p = testProject({ 'models/huge.sql': 'select range as id from range(10000000000)' });
    expect((await p.run('build')).code).toBe(0);
    const started = Date.now();
    const r = await p.run('show', '-s', 'huge', '--limit', '3', '-o', 'csv');
    expect(r.stdout).toBe('id\n0\n1\n2\n');
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('bad input: a test, an unknown name, several nodes, no node, a query that is two statements', async () => {
    p = testProject(ORDERS);
    expect((await p.run('build')).code).toBe(0);
    const cases: Array<[string[], string]> = [
      [['-s', 'unique_stg_orders_order_id'], 'unique_stg_orders_order_id is a test: eider show runs a model, seed or source (a test\'s query is in target/compiled after eider compile)\n'],
      [['-s', 'stg_ordrs'], '--select: no node is named "stg_ordrs" (did you mean "stg_orders"?)\n'],
      [['-s', 'stg_orders', '-s', 'paid_total'], 'eider show shows one node, and the selection matched 2: stg_orders, paid_total\n'],
      [['-s', '*orders'], 'eider show shows one node, and the selection matched 2: raw_orders, stg_orders\n'],
      [[], 'eider show needs either -s <model> or --inline "select …" (one of them)\n'],
      [['--inline', 'select 1; drop table stg_orders'], '--inline:1: expected one statement, found 2\n'],
      [['--inline', 'select * from {{ref "nope"}}'], '--inline:1: unknown ref "nope"\n'],
      [['--limit', '-1', '-s', 'paid'], ''],
    ];
    for (const [args, stderr] of cases) {
      const r = await p.run('show', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      if (stderr) expect(r.stderr, args.join(' ')).toBe(stderr);
    }
    // Nothing was dropped.
    expect(await p.query('select count(*)::int as n from stg_orders')).toEqual([{ n: 3 }]);
  });

  it("--limit 0 says there are rows it did not show; DATE 'infinity' shows as infinity, as DuckDB prints it", async () => {
    p = testProject(ORDERS);
    expect((await p.run('build')).code).toBe(0);
    const none = await p.run('show', '-s', 'stg_orders', '--limit', '0');
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/^\(the first 0 rows; --limit N shows more\)$/m);
    const inf = await p.run('show', '--inline', "select 'infinity'::date as a, '-infinity'::date as b, '5881580-07-10'::date as c", '-o', 'json');
    expect(inf.code).toBe(0);
    expect(JSON.parse(inf.stdout)).toEqual([{ a: 'infinity', b: '-infinity', c: '5881580-07-10' }]);
  });

  it('a SQL error is at its line: a model as run reports it, and --inline too', async () => {
    p = testProject(ORDERS);
    expect((await p.run('build')).code).toBe(0);
    p.write('models/bad_col.sql', 'select\n  no_such_col\nfrom {{ref "stg_orders"}}\n');
    const shown = await p.run('show', '-s', 'bad_col');
    expect(shown.code).toBe(1);
    expect(shown.stderr).toMatch(/^models\/bad_col\.sql:2: Binder Error: Referenced column "no_such_col" not found/m);
    const run = await p.run('run', '-s', 'bad_col');
    expect(run.stdout).toMatch(/models\/bad_col\.sql:2: Binder Error/);
    const parse = await p.run('show', '--inline', 'select 1 as a,\n2 as b,\n3 +\nfrom x');
    expect(parse.code).toBe(2);
    expect(parse.stderr).toMatch(/^--inline:4: Parser Error: syntax error at or near "from"/m);
    const bind = await p.run('show', '--inline', 'select 1 as a,\n  nope as b\nfrom {{ref "stg_orders"}}');
    expect(bind.code).toBe(2);
    expect(bind.stderr).toMatch(/^--inline:2: Binder Error: Referenced column "nope" not found/m);
  });

  it('opens the target read-only and waits for an in-place build holding the file, saying which file it read', async () => {
    p = testProject({
      ...ORDERS,
      'models/slow.js': "export const refs = ['stg_orders'];\nexport default async () => { await new Promise((r) => setTimeout(r, 6000)); return [{ a: 1 }]; };\n",
    });
    expect((await p.run('build')).code).toBe(0);
    p.write('seeds/raw_orders.csv', 'order_id,status,amount,note\n9,paid,1.00,new\n');
    const build = spawn(process.execPath, [BIN, 'build'], { cwd: p.dir, env: { ...process.env, NO_COLOR: '1' } });
    const built = new Promise<number>((res) => build.on('close', (c) => res(c ?? -1)));
    // Once stg_orders is built, the build holds the file while slow.js sleeps.
    await new Promise<void>((res) => build.stdout.on('data', (d) => String(d).includes('created view main.stg_orders') && res()));
    const r = await p.run('show', '-s', 'stg_orders', '-o', 'csv');
    expect(await built).toBe(0);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warehouse\/dev\.duckdb is being built by eider \(PID \d+, eider build, since .*\): waiting for the build to finish\nthe build finished; reading warehouse\/dev\.duckdb \(target dev, read-only\)\n$/);
    expect(r.stdout).toBe('order_id,status,amount,note,day\n9,paid,1.00,new,2024-01-09\n');
  });

  it('a reader that stops early (show | head -1) is no error', async () => {
    p = testProject({ 'models/m.sql': 'select range as id from range(100000)' });
    expect((await p.run('build')).code).toBe(0);
    const r = await new Promise<{ code: number; stderr: string }>((res) => {
      const child = spawn('bash', ['-c', `"${process.execPath}" "${BIN}" show -s m --limit 100000 -o csv | head -1 >/dev/null; echo "eider-exit=\${PIPESTATUS[0]}" >&2`], { cwd: p!.dir });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', () => res({ code: Number(/eider-exit=(\d+)/.exec(stderr)?.[1] ?? -1), stderr }));
    });
    expect(r.stderr).not.toMatch(/EPIPE|\n\s+at |Error/);
    expect(r.code).toBe(0);
  });
});

describe('eider show --defer', () => {
  it('reads what the target does not hold from the deferred target, attached read-only, even with no target file yet', async () => {
    p = testProject({
      ...ORDERS,
      'profiles/profiles.yml': 't:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n    prod:\n      path: warehouse/prod.duckdb\n      publish: swap\n',
    });
    expect((await p.run('build', '--target', 'prod')).code).toBe(0);
    const { cpSync } = await import('node:fs');
    cpSync(`${p.dir}/target`, `${p.dir}/prod-artifacts`, { recursive: true });
    // A pull request's change, shown before anything is built in dev: stg_orders comes from prod.
    p.write('models/paid_total.sql', '{{config materialized="table"}}\nselect sum(amount) * 2 as total from {{ref "paid"}}');
    const without = await p.run('show', '-s', 'paid_total');
    expect(without.code).toBe(1); // nothing built yet: as a model not built yet
    expect(without.stderr).toMatch(/target "dev" has no database file yet/);
    const r = await p.run('show', '-s', 'paid_total', '--defer', '--state', 'prod-artifacts', '-o', 'json');
    expect(r.stderr).toBe('reading stg_orders from warehouse/prod.duckdb (target prod, attached read-only)\n');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ total: '35.00' }]);
    // Once dev holds stg_orders, it is read there.
    expect((await p.run('build', '-s', 'raw_orders', 'stg_orders')).code).toBe(0);
    const { DuckDbAdapter } = await import('../adapter/duckdb.js');
    const db = await DuckDbAdapter.open({ path: p.db, threads: 1 });
    await db.sessions[0].exec('update raw_orders set amount = 1');
    await db.close();
    const local = await p.run('show', '-s', 'paid_total', '--defer', '--state', 'prod-artifacts', '-o', 'json');
    expect(local.stderr).toBe('reading nothing from warehouse/prod.duckdb (target prod, attached read-only)\nreading warehouse/dev.duckdb (target dev, read-only)\n');
    expect(local.code).toBe(0);
    expect(JSON.parse(local.stdout)).toEqual([{ total: '4.00' }]);
    expect((await p.run('show', '-s', 'paid_total', '--defer')).stderr).toMatch(/--defer needs --state DIR/);
  });
});
