import { describe, expect, it } from 'vitest';
import type { ManifestJson } from './load.js';
import { stateChanges, stateSelection } from './modified.js';

/** A manifest.json body with the fields state comparison reads. */
function manifest(nodes: Record<string, Record<string, unknown>>, macros: Record<string, string> = {}, target = { name: 'prod', schema: 'analytics' }): ManifestJson {
  return {
    metadata: { schema_version: 'v2', eider_version: '0' },
    target,
    nodes: Object.fromEntries(
      Object.entries(nodes).map(([id, n]) => [
        id,
        { unique_id: id, resource_type: 'model', name: id, raw_code: '', checksum: { name: 'sha256', checksum: 'c' }, config: {}, depends_on: { nodes: [], macros: [] }, vars: {}, properties_checksum: 'p', ...n },
      ]),
    ),
    macros: Object.fromEntries(Object.entries(macros).map(([id, sum]) => [id, { unique_id: id, checksum: { name: 'sha256', checksum: sum } }])),
  };
}

describe('stateChanges', () => {
  it('compares what a node is made from, not what depends on the target', () => {
    const prod = manifest({ a: { raw_code: 'select 1', relation: { schema: 'analytics', name: 'a' }, compiled_code: 'x' } });
    const ci = manifest({ a: { raw_code: 'select 1', relation: { schema: 'ci', name: 'a' }, compiled_code: 'y' } }, {}, { name: 'ci', schema: 'ci' });
    expect(stateChanges(ci, prod).size).toBe(0);
  });

  it('a {{config}} call is config, not body: moving it out of the file changes neither when the resolved config is equal', () => {
    const before = manifest({ a: { raw_code: '{{config materialized="table"}}\nselect 1\n', config: { materialized: 'table', tags: [] } } });
    const after = manifest({ a: { raw_code: 'select 1\n', config: { tags: [], materialized: 'table' } } });
    expect(stateChanges(after, before).size).toBe(0);
    const changed = manifest({ a: { raw_code: 'select 2\n', config: { materialized: 'view', tags: [] } } });
    expect([...stateChanges(changed, before).get('a')!].sort()).toEqual(['body', 'configs']);
  });

  it('a node is modified when a macro it uses changed, when it uses other macros, or a var it reads has another value', () => {
    const uses = { depends_on: { nodes: [], macros: ['macro.m'] }, vars: { v: 'h1' } };
    const before = manifest({ a: uses, b: {} }, { 'macro.m': '1' });
    expect(stateChanges(manifest({ a: uses, b: {} }, { 'macro.m': '2' }), before)).toEqual(new Map([['a', new Set(['macros'])]]));
    expect(stateChanges(manifest({ a: { ...uses, depends_on: { nodes: [], macros: [] } }, b: {} }, { 'macro.m': '1' }), before).get('a')).toEqual(new Set(['macros']));
    expect(stateChanges(manifest({ a: { ...uses, vars: { v: 'h2' } }, b: {} }, { 'macro.m': '1' }), before).get('a')).toEqual(new Set(['vars']));
  });

  it('selects by method: new is also modified; an unknown method is a usage error', () => {
    const changes = stateChanges(manifest({ a: {}, b: { properties_checksum: 'q' }, c: {} }), manifest({ a: {}, b: {} }));
    expect(stateSelection(changes, 'new', '--select')).toEqual(['c']);
    expect(stateSelection(changes, 'modified', '--select')).toEqual(['b', 'c']);
    expect(stateSelection(changes, 'modified.properties', '--select')).toEqual(['b']);
    expect(() => stateSelection(changes, 'modified.bdy', '--select')).toThrow(/unknown state method "state:modified.bdy" \(did you mean "modified.body"\?\)/);
  });
});
