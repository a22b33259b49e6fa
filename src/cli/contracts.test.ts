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
