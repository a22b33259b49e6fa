import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const files = {
  'project.yml': 'name: t\nvars:\n  country: "{{env \'EIDER_TEST_COUNTRY\'}}"\n  big: [1, 2, 3]\nmodels:\n  materialized: table\n',
  'seeds/raw_orders.csv': 'id,amount_paise\n1,1000\n',
  'macros/cents.sql': '({{column}} / 100.0)',
  'macros/text.js': 'export function shout(s) { return String(s).toUpperCase(); }\n',
  'models/stg_orders.sql': 'select id, {{> cents column="amount_paise"}} as amount, \'{{shout "x"}}\' as tag, \'{{var "country"}}\' as c, {{var "missing" 0}} as m from {{ref "raw_orders"}}\n',
  'models/fct.sql': '{{config materialized="incremental" unique_key="id, tag"}}\nselect * from {{ref "stg_orders"}} join {{source "crm" "customers"}} using (id)\n',
  'models/props.yml':
    'models:\n  - name: fct\n    description: facts\n    config:\n      tags: [daily]\n    columns:\n      - name: id\n        data_type: integer\n        tests: [not_null]\nsources:\n  - name: crm\n    tables:\n      - name: customers\n',
  'snapshots/orders_history.sql': '{{config unique_key="id" strategy="check" check_cols="amount"}}\nselect * from {{ref "stg_orders"}}\n',
  'tests/no_negative.sql': 'select * from {{ref "fct"}} where amount < 0\n',
  'tests/unit.yml': 'unit_tests:\n  - name: converts\n    model: stg_orders\n    given:\n      - input: ref(\'raw_orders\')\n        rows: [{id: 1, amount_paise: 100}]\n    expect: {rows: [{id: 1}]}\n',
};

describe('manifest.json (schema v2)', () => {
  it('holds every node with its resolved config, code, checksums, macros, vars and properties, in snake_case', async () => {
    p = testProject(files);
    const r = await p.runWith({ EIDER_TEST_COUNTRY: 'secret-country' }, 'parse');
    expect(r.stderr).toBe('');
    const text = readFileSync(join(p.dir, 'target/manifest.json'), 'utf8');
    expect(text).not.toContain('secret-country');
    expect(text).not.toContain('dataType');
    const m = JSON.parse(text);
    expect(m.metadata.schema_version).toBe('https://eider.dev/schemas/manifest/v2.json');
    expect(m.target).toEqual({ profile: 't', name: 'dev', threads: expect.any(Number), schema: 'main' });
    expect(Object.keys(m.nodes).sort()).toEqual([
      'model.fct',
      'model.orders_history',
      'model.stg_orders',
      'seed.raw_orders',
      'source.crm.customers',
      'test.no_negative',
      'test.not_null_fct_id',
      'unit_test.stg_orders.converts',
    ]);

    const stg = m.nodes['model.stg_orders'];
    expect(stg.raw_code).toBe(files['models/stg_orders.sql']);
    expect(stg.checksum).toEqual({ name: 'sha256', checksum: sha256(files['models/stg_orders.sql']) });
    expect(stg.depends_on).toEqual({ nodes: ['seed.raw_orders'], macros: ['helper.shout', 'macro.cents'] });
    expect(Object.keys(stg.vars)).toEqual(['country', 'missing']);
    expect(stg.vars.missing).toBeNull();
    expect(stg.vars.country).toMatch(/^[0-9a-f]{64}$/);
    expect(stg.config).toMatchObject({ materialized: 'table', schema: null, alias: null, tags: [], enabled: true, meta: {}, contract: { enforced: false }, pre_hook: [] });
    expect(Object.keys(stg.config)).toHaveLength(23);
    expect(stg.patch_path).toBeNull();
    expect(m.macros['macro.cents']).toEqual({ unique_id: 'macro.cents', name: 'cents', resource_type: 'macro', original_file_path: 'macros/cents.sql', checksum: { name: 'sha256', checksum: sha256(files['macros/cents.sql']) } });
    expect(m.macros['helper.shout']).toMatchObject({ resource_type: 'helper', original_file_path: 'macros/text.js', checksum: { checksum: sha256(files['macros/text.js']) } });

    const fct = m.nodes['model.fct'];
    expect(fct.config).toMatchObject({ materialized: 'incremental', unique_key: ['id', 'tag'], incremental_strategy: 'merge', tags: ['daily'] });
    expect(fct.patch_path).toBe('models/props.yml:2');
    expect(fct.properties_checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(fct.columns).toEqual([{ name: 'id', description: '', data_type: 'integer', meta: {} }]);
    expect(fct.depends_on.nodes).toEqual(['model.stg_orders', 'source.crm.customers']);

    expect(m.nodes['seed.raw_orders'].checksum.checksum).toBe(sha256(files['seeds/raw_orders.csv']));
    expect(m.nodes['seed.raw_orders'].config).toMatchObject({ delimiter: ',', column_types: {} });
    expect(m.nodes['model.orders_history']).toMatchObject({ resource_type: 'model', materialized: 'snapshot', config: { materialized: 'snapshot', strategy: 'check', check_cols: ['amount'], unique_key: ['id'] } });
    expect(m.nodes['source.crm.customers']).toMatchObject({ resource_type: 'source', patch_path: 'models/props.yml:13', relation: { schema: 'crm', name: 'customers' } });
    expect(m.nodes['test.not_null_fct_id']).toMatchObject({ resource_type: 'test', config: { severity: 'error', warn_if: '!=0' }, depends_on: { nodes: ['model.fct'], macros: [] } });
    expect(m.nodes['test.no_negative'].raw_code).toBe(files['tests/no_negative.sql']);
    expect(m.nodes['unit_test.stg_orders.converts']).toMatchObject({ resource_type: 'unit_test', model: 'model.stg_orders', patch_path: 'tests/unit.yml:2' });

    expect(m.parent_map['model.fct']).toEqual(['model.stg_orders', 'source.crm.customers']);
    expect(m.child_map['model.stg_orders'].sort()).toEqual(['model.fct', 'model.orders_history']);
    expect(m.child_map['seed.raw_orders']).toEqual(['model.stg_orders']);
  });
});
