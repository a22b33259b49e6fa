import { afterEach, describe, expect, it } from 'vitest';
import { testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const props = (columns: string) => `models:\n  - name: fct\n    config:\n      contract: {enforced: true}\n    columns:\n${columns}`;
const good = '      - name: id\n        data_type: int\n      - name: amount\n        data_type: decimal(18, 2)\n      - name: note\n        data_type: text\n';

describe('contracts', () => {
  it('a build whose query matches the declared columns and types succeeds', async () => {
    p = testProject({ 'models/fct.sql': "{{config materialized=\"table\"}}\nselect 1::integer as id, 2.5::decimal(18,2) as amount, 'x' as note", 'models/fct.yml': props(good) });
    const r = await p.run('build');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('a query returning other columns or types fails before the model replaces anything, listing the differences', async () => {
    p = testProject({ 'models/fct.sql': "{{config materialized=\"table\"}}\nselect 1::integer as id, 2.5::decimal(18,2) as amount, 'x' as note", 'models/fct.yml': props(good) });
    expect((await p.run('build')).code).toBe(0);
    p.write('models/fct.sql', "{{config materialized=\"table\"}}\nselect 7::bigint as id, 'y' as comment, 9 as amount");
    const r = await p.run('build');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ERROR table main\.fct/);
    expect(r.stdout).toMatch(/models\/fct\.sql:\d+: .*contract of fct not met: column amount is INTEGER, declared DECIMAL\(18,2\); column id is BIGINT, declared INTEGER; extra column comment VARCHAR; missing column note VARCHAR/);
    // The old table is untouched.
    expect(await p.query('select id, note from main.fct')).toEqual([{ id: 1, note: 'x' }]);
  });

  it('a data_type DuckDB does not know is reported at the properties entry that declares it', async () => {
    p = testProject({ 'models/fct.sql': "{{config materialized=\"table\"}}\nselect 1::integer as id, 2.5::decimal(18,2) as amount, 'x' as note", 'models/fct.yml': props(good.replace('data_type: text', 'data_type: varchr')) });
    const r = await p.run('build');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^\s+models\/fct\.yml:2: contract: column note has data_type varchr: Catalog Error: Type with name varchr does not exist/m);
  });

  it('views enforce contracts too', async () => {
    p = testProject({ 'models/fct.sql': 'select 1 as id', 'models/fct.yml': props('      - name: id\n        data_type: varchar\n') });
    const r = await p.run('build');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/contract of fct not met: column id is INTEGER, declared VARCHAR/);
  });

  it('an enforced contract without data types is a project error', async () => {
    p = testProject({ 'models/fct.sql': 'select 1 as id', 'models/fct.yml': props('      - name: id\n') });
    const r = await p.run('build');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^models\/fct\.yml:2: model "fct": an enforced contract needs a data_type on every column; missing on id/m);
  });
});

describe('contracts on incremental runs', () => {
  const seed = (rows: string[]) => `id,amount,updated_at\n${rows.join('\n')}\n`;
  const day1 = ['1,10,2024-01-01 00:00:00', '2,20,2024-01-02 00:00:00'];
  const day2 = [...day1, '3,30,2024-01-06 00:00:00'];
  const contract = (idType = 'int') =>
    `models:\n  - name: inc\n    config:\n      contract: {enforced: true}\n    columns:\n      - name: id\n        data_type: ${idType}\n      - name: amount\n        data_type: decimal(18, 2)\n      - name: updated_at\n        data_type: timestamp\n`;
  const model = (columns: string, config = 'unique_key="id"') =>
    `{{config materialized="incremental" ${config}}}\nselect ${columns} from {{ref "src"}}\n{{#if is_incremental}}\nwhere updated_at > (select max(updated_at) from {{this}})\n{{/if}}\n`;
  const goodColumns = 'id::int as id, amount::decimal(18,2) as amount, updated_at';
  const table = () => p!.query('select id::int as id, amount::double as amount from main.inc order by id');
  const types = async () => (await p!.query(`select column_name as c, data_type as t from information_schema.columns where table_name = 'inc' order by 1`)).map((r) => `${r.c} ${r.t}`);

  async function firstBuild(files: Record<string, string> = {}) {
    p = testProject({ 'seeds/src.csv': seed(day1), 'models/inc.sql': model(goodColumns), 'models/inc.yml': contract(), ...files });
    const r = await p.run('build');
    expect(r.stdout + r.stderr).not.toMatch(/ERROR/);
    expect(r.code).toBe(0);
    p.write('seeds/src.csv', seed(day2));
  }

  for (const onSchemaChange of ['ignore', 'append_new_columns', 'sync_all_columns']) {
    it(`on_schema_change=${onSchemaChange}: a changed data_type or an extra column in the new rows fails before anything is applied`, async () => {
      await firstBuild();
      const before = await types();
      p!.write('models/inc.sql', model('id::bigint as id, amount::decimal(18,2) as amount, updated_at, 1 as extra', `unique_key="id" on_schema_change="${onSchemaChange}"`));
      const r = await p!.run('build');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/models\/inc\.sql:\d+: .*contract of inc not met: column id is BIGINT, declared INTEGER; extra column extra INTEGER/);
      expect(await table()).toEqual([{ id: 1, amount: 10 }, { id: 2, amount: 20 }]);
      expect(await types()).toEqual(before);
    });
  }

  it('append and microbatch runs check their new rows too', async () => {
    for (const config of ['incremental_strategy="append"', 'incremental_strategy="microbatch" event_time="updated_at" batch_size="day" begin="2024-01-01"']) {
      await firstBuild({ 'models/inc.sql': model(goodColumns, config) });
      p!.write('models/inc.sql', model('id::int as id, amount::double as amount, updated_at', config));
      const r = await p!.run('build');
      expect(r.code, config).toBe(1);
      expect(r.stdout, config).toMatch(/contract of inc not met: column amount is DOUBLE, declared DECIMAL\(18,2\)/);
      expect(await table(), config).toEqual([{ id: 1, amount: 10 }, { id: 2, amount: 20 }]);
      p!.remove();
    }
  });

  it('in a swap (prod) build a contract broken by the new rows publishes nothing', async () => {
    await firstBuild({ 'profiles/profiles.yml': 't:\n  target: prod\n  targets:\n    prod:\n      path: warehouse/dev.duckdb\n      publish: swap\n' });
    p!.write('models/inc.sql', model('id::int as id, amount::decimal(18,2) as amount, updated_at, 1 as extra'));
    const r = await p!.run('build');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/contract of inc not met: extra column extra INTEGER/);
    expect(r.stdout + r.stderr).toMatch(/Nothing was published/);
    expect(await table()).toEqual([{ id: 1, amount: 10 }, { id: 2, amount: 20 }]);
  });

  it('after on_schema_change the table must still match the contract: ignore keeps the old type and fails, sync_all_columns changes it', async () => {
    await firstBuild();
    p!.write('models/inc.yml', contract('bigint'));
    p!.write('models/inc.sql', model('id::bigint as id, amount::decimal(18,2) as amount, updated_at'));
    const r = await p!.run('build');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/contract of inc not met: column id is INTEGER, declared BIGINT \(the table main\.inc after on_schema_change=ignore; --full-refresh rebuilds it\)/);
    expect(await table()).toEqual([{ id: 1, amount: 10 }, { id: 2, amount: 20 }]);
    p!.write('models/inc.sql', model('id::bigint as id, amount::decimal(18,2) as amount, updated_at', 'unique_key="id" on_schema_change="sync_all_columns"'));
    const ok = await p!.run('build');
    expect(ok.stdout).not.toMatch(/ERROR/);
    expect(ok.code).toBe(0);
    expect(await table()).toEqual([{ id: 1, amount: 10 }, { id: 2, amount: 20 }, { id: 3, amount: 30 }]);
    expect(await types()).toContain('id BIGINT');
  });
});
