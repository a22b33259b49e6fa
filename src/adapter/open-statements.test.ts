import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../errors.js';
import { parseProfiles } from '../project/profiles.js';
import { openStatements, targetOptions, type OpenOptions } from './duckdb.js';

/** The statements `DuckDbAdapter.open` runs for a target as profiles.yml spells it. */
function statementsFor(target: string, readOnly = false): { setup: string[]; use?: string; after: string[] } {
  const diagnostics: Diagnostic[] = [];
  const text = `t:\n  target: x\n  targets:\n    x:\n${target.replace(/^/gm, '      ')}\n`;
  const t = parseProfiles('/proj', { path: 'profiles/profiles.yml', text }, { profile: 't' }, {}, diagnostics);
  expect(diagnostics).toEqual([]);
  const opts: OpenOptions = { path: t!.path, threads: 1, readOnly, ...targetOptions(t!) };
  return openStatements(opts);
}

describe('the statements that open a target', () => {
  it('a local file: extensions loaded, attached databases read-only, the file attached as eider_target', () => {
    expect(statementsFor('path: warehouse/prod.duckdb\nextensions: [json, icu]\nattach:\n  - {path: ../legacy/erp.duckdb, alias: erp}\n  - {path: /data/crm.duckdb, alias: crm, read_only: false}')).toEqual({
      setup: ['load "json"', 'load "icu"', `attach '/legacy/erp.duckdb' as "erp" (read_only)`, `attach '/data/crm.duckdb' as "crm"`, `attach '/proj/warehouse/prod.duckdb' as eider_target`],
      use: 'use eider_target',
      after: ['detach memory'],
    });
  });

  it('a read-only open attaches every database read-only', () => {
    expect(statementsFor('path: prod.duckdb\nattach:\n  - {path: crm.duckdb, alias: crm, read_only: false}', true).setup).toEqual([
      `attach '/proj/crm.duckdb' as "crm" (read_only)`,
      `attach '/proj/prod.duckdb' as eider_target (read_only)`,
    ]);
  });

  it('MotherDuck: the motherduck extension, the database attached under its own name (MotherDuck refuses an alias), then used', () => {
    expect(statementsFor('path: md:analytics')).toEqual({
      setup: ['load "motherduck"', `attach 'md:analytics'`],
      use: 'use "analytics"',
      after: ['detach memory'],
    });
  });

  it('DuckLake: the ducklake extension, the metadata file and data path resolved against the project', () => {
    expect(statementsFor('path: ducklake:lake/metadata.ducklake\ndata_path: lake/files/')).toEqual({
      setup: ['load "ducklake"', `attach 'ducklake:/proj/lake/metadata.ducklake' as eider_target (data_path '/proj/lake/files/')`],
      use: 'use eider_target',
      after: ['detach memory'],
    });
    // A catalog in Postgres and files in S3 are kept as written.
    expect(statementsFor(`path: "ducklake:postgres:dbname=lake host=db"\ndata_path: s3://bucket/lake/\nextensions: [httpfs]`).setup).toEqual([
      'load "httpfs"',
      'load "ducklake"',
      `attach 'ducklake:postgres:dbname=lake host=db' as eider_target (data_path 's3://bucket/lake/')`,
    ]);
  });

  it('an attached MotherDuck database needs the motherduck extension too, loaded once', () => {
    expect(statementsFor('path: md:analytics\nattach:\n  - {path: "md:_share/raw/abc", alias: raw_share}')).toEqual({
      setup: ['load "motherduck"', `attach 'md:_share/raw/abc' as "raw_share" (read_only)`, `attach 'md:analytics'`],
      use: 'use "analytics"',
      after: ['detach memory'],
    });
  });
});
