import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { queryFile, runCli, testProject, type CliResult, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

/** The subject: a distinctive key value and e-mail, so a byte scan can tell where they survive. */
const SUBJECT = 'cu_erase_me_7c1f';
const EMAIL = 'priya.subject-to-erase@example.in';

const customers = () =>
  ['customer_id,name,email,updated_at', ...Array.from({ length: 60 }, (_, i) => (i === 41 ? `${SUBJECT},Priya,${EMAIL},2024-01-01 00:00:00` : `cu_${createHash('md5').update(String(i)).digest('hex').slice(0, 10)},Name ${i},person.${createHash('md5').update(`e${i}`).digest('hex')}@example.in,2024-01-01 00:00:00`))].join('\n') + '\n';
const orders = () => {
  const ids = customers().split('\n').slice(1, -1).map((l) => l.split(',')[0]);
  return ['order_id,customer_id,contact_email,amount', ...Array.from({ length: 120 }, (_, i) => `${i + 1},${ids[i % 60]},${i % 60 === 41 ? EMAIL : 'x@example.in'},${i * 10}`)].join('\n') + '\n';
};

const PROFILES = 't:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n    prod:\n      path: warehouse/prod.duckdb\n      publish: swap\n      keep_releases: 2\n';

/**
 * Every way to mark a subject: a seed's meta (the column has the key's name), a mapping to another column name, a
 * column's meta, columns nulled instead of rows deleted, an incremental model, a snapshot; and a view over them.
 */
function subjectProject(extra: Record<string, string> = {}): TestProject {
  return testProject({
    ...extra,
    'profiles/profiles.yml': PROFILES,
    'seeds/customers.csv': customers(),
    'seeds/orders.csv': orders(),
    'seeds/seeds.yml': [
      'seeds:',
      '  - name: customers',
      '    meta: {subject_key: customer_id}',
      '  - name: orders',
      '    columns:',
      '      - name: customer_id',
      '        meta: {subject_key: customer_id, erase: nullify}',
      '      - name: contact_email',
      '        meta: {erase: nullify}',
      '',
    ].join('\n'),
    'models/dim_customers.sql': '{{config materialized="table"}}\nselect customer_id as cust_id, name, email from {{ref "customers"}}',
    'models/fct_orders.sql': '{{config materialized="incremental" unique_key="order_id"}}\nselect * from {{ref "orders"}}',
    'models/customer_emails.sql': 'select email from {{ref "dim_customers"}}',
    'models/models.yml': [
      'models:',
      '  - name: dim_customers',
      '    config:',
      '      meta: {subject_key: {customer_id: cust_id}}',
      '  - name: fct_orders',
      '    columns:',
      '      - name: customer_id',
      '        meta: {subject_key: customer_id}',
      '  - name: customer_emails',
      '    meta: {subject_key: {customer_id: email}}',
      '',
    ].join('\n'),
    'snapshots/customer_history.sql': '{{config unique_key="customer_id" strategy="timestamp" updated_at="updated_at"}}\nselect * from {{ref "customers"}}',
    'snapshots/snapshots.yml': 'models:\n  - name: customer_history\n    meta: {subject_key: customer_id}\n',
  });
}

/** Where the subject is, by relation, in one DuckDB file: rows whose marked column holds the key, or any column the e-mail. */
async function subjectRows(path: string): Promise<Record<string, number>> {
  const tables = await queryFile(path, `select table_schema as s, table_name as t from information_schema.tables where table_type = 'BASE TABLE' and table_catalog = current_database() order by 1, 2`);
  const out: Record<string, number> = {};
  for (const { s, t } of tables) {
    const [r] = await queryFile(path, `select count(*)::int as n from "${s}"."${t}" as r where cast(r as varchar) like '%${SUBJECT}%' or cast(r as varchar) like '%${EMAIL}%'`);
    if (Number(r.n) > 0) out[`${s}.${t}`] = Number(r.n);
  }
  return out;
}

/** Every file under a folder (recursively), with whether its bytes hold `text`. */
function filesHolding(dir: string, text: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile() && readFileSync(f).includes(Buffer.from(text)));
}

const keptReleases = (p: TestProject) => {
  const dir = join(p.dir, 'warehouse/.eider-releases/prod.duckdb');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.duckdb')).map((f) => join(dir, f)) : [];
};

/** What no output of an erasure may hold. */
function expectNoValue(...results: CliResult[]): void {
  for (const r of results) for (const v of [SUBJECT, EMAIL]) expect(`${r.stdout}${r.stderr}`).not.toContain(v);
}

describe('eider erase', () => {
  it('on a prod target: a new release and every kept release lose the subject (no row, no byte), rollback works, eider.erasures keeps only a hash', async () => {
    p = subjectProject();
    const prod = join(p.dir, 'warehouse/prod.duckdb');
    for (let i = 0; i < 3; i++) expect((await p.run('build', '--target', 'prod')).code).toBe(0);
    expect(keptReleases(p)).toHaveLength(2);
    // The control: before the erasure the subject is in every file, as rows and as bytes.
    for (const f of [prod, ...keptReleases(p)]) {
      expect(await subjectRows(f)).toEqual({ 'main.customer_history': 1, 'main.customers': 1, 'main.dim_customers': 1, 'main.fct_orders': 2, 'main.orders': 2 });
    }
    expect(filesHolding(join(p.dir, 'warehouse'), EMAIL).length).toBeGreaterThanOrEqual(3);

    const erased = await p.run('erase', '--key', `customer_id=${SUBJECT}`, '--target', 'prod');
    expect(erased.code, erased.stderr).toBe(0);
    expect(erased.stdout).toMatch(/main\.customers\s+1 row deleted/);
    expect(erased.stdout).toMatch(/main\.orders\s+2 rows nulled/);
    expect(erased.stdout).toMatch(/main\.fct_orders\s+2 rows deleted/);
    expect(erased.stdout).toMatch(/Rewrote 2 kept releases/);
    expectNoValue(erased);

    // No relation of the release or of a kept one holds the subject; the orders stay, anonymous.
    for (const f of [prod, ...keptReleases(p)]) expect(await subjectRows(f)).toEqual({});
    expect(await queryFile(prod, 'select count(*)::int as n, count(customer_id)::int as known from main.orders')).toEqual([{ n: 120, known: 118 }]);
    expect(filesHolding(join(p.dir, 'warehouse'), EMAIL)).toEqual([]);
    expect(filesHolding(join(p.dir, 'warehouse'), SUBJECT)).toEqual([]);
    expect(filesHolding(join(p.dir, 'target'), SUBJECT)).toEqual([]);

    // The record: the salted hash per relation, in the release and in each kept one.
    const [{ salt }] = await queryFile(prod, 'select salt from eider.erasure_salt');
    const hash = createHash('sha256').update(`${salt}${SUBJECT}`).digest('hex');
    const records = await queryFile(prod, `select key_column, key_hash, relation, action, rows::int as rows from eider.erasures order by relation`);
    expect(records).toEqual([
      { key_column: 'customer_id', key_hash: hash, relation: 'main.customer_history', action: 'deleted', rows: 1 },
      { key_column: 'customer_id', key_hash: hash, relation: 'main.customers', action: 'deleted', rows: 1 },
      { key_column: 'customer_id', key_hash: hash, relation: 'main.dim_customers', action: 'deleted', rows: 1 },
      { key_column: 'customer_id', key_hash: hash, relation: 'main.fct_orders', action: 'deleted', rows: 2 },
      { key_column: 'customer_id', key_hash: hash, relation: 'main.orders', action: 'nulled', rows: 2 },
    ]);
    for (const f of keptReleases(p)) expect((await queryFile(f, 'select count(*)::int as n from eider.erasures'))[0].n).toBe(5);
    expect(await queryFile(prod, `select command, status from eider.releases order by started_at desc limit 1`)).toEqual([{ command: 'erase', status: 'published' }]);

    // Rollback still works, and puts back a release without the subject.
    const back = await p.run('rollback', '--target', 'prod');
    expect(back.code, back.stderr).toBe(0);
    expect(await subjectRows(prod)).toEqual({});

    // The seed still holds the subject: a rebuild erases it again, and the file is written fresh.
    const rebuilt = await p.run('build', '--target', 'prod');
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).toMatch(/seed main\.customers .*1 erased/);
    expect(rebuilt.stdout).toMatch(/written fresh/);
    for (const f of [prod, ...keptReleases(p)]) expect(await subjectRows(f)).toEqual({});
    expect(filesHolding(join(p.dir, 'warehouse'), EMAIL)).toEqual([]);
    expect(filesHolding(join(p.dir, 'target'), SUBJECT)).toEqual([]);
    expectNoValue(back, rebuilt);
  });

  it('on a dev target: erased in place under the lock, written fresh; --full-refresh and rebuilds from the same seed keep the subject out', async () => {
    p = subjectProject();
    expect((await p.run('build')).code).toBe(0);
    expect(filesHolding(join(p.dir, 'warehouse'), EMAIL)).not.toEqual([]);
    const erased = await p.run('erase', '--key', `customer_id=${SUBJECT}`);
    expect(erased.code, erased.stderr).toBe(0);
    expectNoValue(erased);
    expect(await subjectRows(p.db)).toEqual({});
    expect(filesHolding(join(p.dir, 'warehouse'), EMAIL)).toEqual([]);
    expect(await p.query(`select status from eider.releases order by started_at desc limit 1`)).toEqual([{ status: 'in_place' }]);

    const rebuilt = await p.run('build', '--full-refresh');
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).toMatch(/customers .*1 erased/);
    expect(await subjectRows(p.db)).toEqual({});
    expect(filesHolding(join(p.dir, 'warehouse'), EMAIL)).toEqual([]);
    // A build that brings nothing of the subject back neither counts rows nor rewrites the file.
    const again = await p.run('build', '--select', 'dim_customers');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).not.toMatch(/erased|written fresh/);
    expectNoValue(rebuilt, again);
  });

  it('--dry-run lists the rows per relation and changes nothing', async () => {
    p = subjectProject();
    expect((await p.run('build', '--target', 'prod')).code).toBe(0);
    expect((await p.run('build', '--target', 'prod')).code).toBe(0);
    const prod = join(p.dir, 'warehouse/prod.duckdb');
    const before = () => readdirSync(join(p!.dir, 'warehouse'), { recursive: true, encoding: 'utf8' }).sort().map((f) => [f, statSync(join(p!.dir, 'warehouse', f)).mtimeMs]);
    const snapshot = before();
    const sum = createHash('sha256').update(readFileSync(prod)).digest('hex');
    const dry = await p.run('erase', '--key', `customer_id=${SUBJECT}`, '--target', 'prod', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/Would erase customer_id from prod \(--dry-run: nothing was changed\)/);
    expect(dry.stdout).toMatch(/main\.dim_customers\s+1 row to be deleted/);
    expect(dry.stdout).toMatch(/main\.orders\s+2 rows to be nulled/);
    expect(dry.stdout).toMatch(/7 rows in 5 of 5 relations/);
    expectNoValue(dry);
    expect(before()).toEqual(snapshot);
    expect(createHash('sha256').update(readFileSync(prod)).digest('hex')).toBe(sum);
    expect(await subjectRows(prod)).not.toEqual({});
  });

  it('a reader holding the prod file keeps reading the old release during an erasure', async () => {
    p = subjectProject();
    expect((await p.run('build', '--target', 'prod')).code).toBe(0);
    const prod = join(p.dir, 'warehouse/prod.duckdb');
    const duckdb = pathToFileURL(createRequire(import.meta.url).resolve('@duckdb/node-api')).href;
    const script = join(p.dir, 'reader.mjs');
    writeFileSync(
      script,
      `const { DuckDBInstance } = await import(${JSON.stringify(duckdb)});
const db = await DuckDBInstance.create(process.argv[2], { access_mode: 'READ_ONLY' });
const c = await db.connect();
const count = async () => Number((await c.runAndReadAll("select count(*) from main.customers where customer_id = '${SUBJECT}'")).getRows()[0][0]);
process.send({ before: await count() });
process.on('message', async () => { process.send({ after: await count() }, () => process.exit(0)); });
`,
    );
    const reader = fork(script, [prod], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const next = () => new Promise<Record<string, number>>((r) => reader.once('message', r as never));
    expect(await next()).toEqual({ before: 1 });
    const erased = await p.run('erase', '--key', `customer_id=${SUBJECT}`, '--target', 'prod');
    expect(erased.code, erased.stderr).toBe(0);
    reader.send('read');
    expect(await next()).toEqual({ after: 1 }); // its own view: the release it opened
    expect(await subjectRows(prod)).toEqual({}); // a new reader sees the erased release
  });

  it('bad input: an unknown subject key, a malformed --key, a target without a file, a marked column that is missing: exit 2', async () => {
    p = subjectProject();
    const missing = await p.run('erase', '--key', `customer_id=${SUBJECT}`);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/profiles\/profiles\.yml:5: target "dev": its file warehouse\/dev\.duckdb does not exist/);
    expect((await p.run('build')).code).toBe(0);

    const unknown = await p.run('erase', '--key', `custmer_id=${SUBJECT}`);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no node marks the subject key "custmer_id" \(did you mean "customer_id"\?\); subject keys of this project: customer_id/);
    for (const bad of [SUBJECT, `=${SUBJECT}`, 'customer_id=', '1x=2']) {
      const r = await p.run('erase', '--key', bad);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toMatch(/--key must be <subject key>=<value>, like --key customer_id=42/);
      expectNoValue(r);
    }

    p.write('models/models.yml', 'models:\n  - name: dim_customers\n    config:\n      meta: {subject_key: {customer_id: cust_no}}\n');
    const column = await p.run('erase', '--key', `customer_id=${SUBJECT}`);
    expect(column.code).toBe(2);
    expect(column.stderr).toMatch(/models\/dim_customers\.sql:1: model "dim_customers": main\.dim_customers has no column cust_no/);
    expect(await subjectRows(p.db)).not.toEqual({}); // nothing was erased

    p.write('models/models.yml', 'models:\n  - name: customer_emails\n    meta: {subject_key: visitor_id}\n');
    const views = await p.run('erase', '--key', 'visitor_id=v1');
    expect(views.code, views.stderr).toBe(0);
    expect(views.stdout).toMatch(/Nothing to erase: only views, ephemeral or external models mark visitor_id/);

    p.write('models/models.yml', 'models:\n  - name: dim_customers\n    config:\n      meta: {subject_key: [1]}\n    columns:\n      - name: email\n        meta: {erase: null}\n');
    const marks = await p.run('build');
    expect(marks.code).toBe(2);
    expect(marks.stderr).toMatch(/models\/models\.yml:\d+: model "dim_customers": meta\.subject_key must be a key name/);
    expect(marks.stderr).toMatch(/model "dim_customers": column email: meta\.erase must be nullify/);
  });

  it('tables no node owns any more (a removed model) and tests\' stored failing rows are erased by their key column, on dev and in every prod release', async () => {
    const files = {
      'models/rv_customers_old.sql': '{{config materialized="table" schema="marts"}}\nselect customer_id, email from {{ref "customers"}}',
      'models/rv_customers_old.yml': 'models:\n  - name: rv_customers_old\n    meta: {subject_key: customer_id}\n',
      'tests/subject_rows.sql': `{{config store_failures=true severity="warn"}}\nselect customer_id as CUSTOMER_ID, email from {{ref "customers"}} where customer_id = '${SUBJECT}'`,
    };
    p = subjectProject(files);
    for (let i = 0; i < 3; i++) expect((await p.run('build', '--target', 'prod')).code).toBe(0);
    expect((await p.run('build')).code).toBe(0);
    const prod = join(p.dir, 'warehouse/prod.duckdb');
    for (const f of [p.db, prod, ...keptReleases(p)]) expect(await subjectRows(f)).toMatchObject({ 'marts.rv_customers_old': 1, 'eider_audit.subject_rows': 1 });
    rmSync(join(p.dir, 'models/rv_customers_old.sql'));
    rmSync(join(p.dir, 'models/rv_customers_old.yml'));

    const dry = await p.run('erase', '--key', `customer_id=${SUBJECT}`, '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/marts\.rv_customers_old \(no node owns it: erased by its customer_id column\)\s+1 row to be deleted/);
    expect(dry.stdout).toMatch(/eider_audit\.subject_rows \(failing rows a test stored: erased by its CUSTOMER_ID column\)\s+1 row to be deleted/);
    const dev = await p.run('erase', '--key', `customer_id=${SUBJECT}`);
    expect(dev.code, dev.stderr).toBe(0);
    expect(dev.stdout).toMatch(/marts\.rv_customers_old \(no node owns it: erased by its customer_id column\)\s+1 row deleted/);
    expect(await subjectRows(p.db)).toEqual({});
    expect(await p.query('select count(*)::int as n from marts.rv_customers_old')).toEqual([{ n: 59 }]);

    const erased = await p.run('erase', '--key', `customer_id=${SUBJECT}`, '--target', 'prod');
    expect(erased.code, erased.stderr).toBe(0);
    expectNoValue(dry, dev, erased);
    for (const f of [prod, ...keptReleases(p)]) expect(await subjectRows(f)).toEqual({});
    expect(filesHolding(join(p.dir, 'warehouse'), EMAIL)).toEqual([]);
  });

  it('--key is trimmed; an erasure that changes no row warns (naming the key, not the value) and publishes nothing', async () => {
    p = subjectProject();
    expect((await p.run('build', '--target', 'prod')).code).toBe(0);
    const prod = join(p.dir, 'warehouse/prod.duckdb');
    const releases = async () => (await queryFile(prod, 'select count(*)::int as n from eider.releases'))[0].n;
    const before = await releases();
    const none = await p.run('erase', '--key', 'customer_id=cu_nobody_0000', '--target', 'prod');
    expect(none.code, none.stderr).toBe(0);
    expect(none.stderr).toMatch(/warning: no row of prod carries that customer_id: nothing was erased, recorded or published/);
    expect(`${none.stdout}${none.stderr}`).not.toContain('cu_nobody_0000');
    expect(none.stdout).not.toMatch(/Published release/);
    expect(await releases()).toBe(before);
    expect(await queryFile(prod, "select count(*)::int as n from information_schema.tables where table_name = 'erasures'")).toEqual([{ n: 0 }]);

    const spaced = await p.run('erase', '--key', ` customer_id = ${SUBJECT} `, '--target', 'prod');
    expect(spaced.code, spaced.stderr).toBe(0);
    expect(spaced.stdout).toMatch(/main\.customers\s+1 row deleted/);
    expectNoValue(spaced);
    expect(await subjectRows(prod)).toEqual({});
  });

  it('the example project marks its customer tables: after an erasure it still builds, and no marked table holds the customer', async () => {
    const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
    const dir = mkdtempSync(join(tmpdir(), 'eider-example-erase-'));
    try {
      for (const part of ['project.yml', 'package.json', 'profiles', 'models', 'seeds', 'snapshots', 'tests', 'macros', 'data']) cpSync(join(repo, part), join(dir, part), { recursive: true });
      expect((await runCli(dir, ['build'])).code).toBe(0);
      const erased = await runCli(dir, ['erase', '--key', 'customer_id=42']);
      expect(erased.code, erased.stderr).toBe(0);
      expect(erased.stdout).toMatch(/raw\.raw_customers\s+1 row deleted/);
      expect(erased.stdout).toMatch(/marts\.fct_orders\s+\d+ rows nulled/);
      const rebuilt = await runCli(dir, ['build']);
      expect(rebuilt.code, rebuilt.stdout).toBe(0);
      const db = join(dir, 'warehouse/dev.duckdb');
      for (const t of ['raw.raw_customers', 'raw.raw_orders', 'staging.stg_orders', 'marts.dim_customers', 'marts.fct_orders', 'ml.ml_customer_features', 'ml.ml_customer_segments']) {
        expect((await queryFile(db, `select count(*)::int as n from ${t} where customer_id = 42`))[0].n, t).toBe(0);
      }
      expect((await queryFile(db, 'select count(*)::int as n from marts.fct_orders where customer_id is null'))[0].n).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
