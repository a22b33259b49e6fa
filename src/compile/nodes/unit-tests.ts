import { isAbsolute, join } from 'node:path';
import { didYouMean } from '../../errors.js';
import type { UnitTestDef } from '../../project/unit-tests.js';
import { MOCK_SCHEMA, quoteRelation, relation, type ModelNode, type Node, type NodeId, type RowsDef } from '../../types.js';
import type { Compilation } from '../compilation.js';
import { valueChecksum } from '../fingerprint.js';

/** Unit tests: the model rendered against mock relations, one per input it reads. */
export function compileUnitTests(c: Compilation): void {
  for (const u of c.def.unitTests) {
    const model = c.nodes[`model.${u.model}`];
    const at = (message: string, line = u.origin.line) => c.diagnostics.push({ severity: 'error', file: u.origin.file, line, message: `unit test "${u.name}": ${message}` });
    if (model?.kind !== 'model') {
      at(`unknown model "${u.model}"${didYouMean(u.model, [...c.byName.values()].filter((n) => n.kind === 'model').map((n) => n.name))}`);
      continue;
    }
    if (model.js) {
      at(`${u.model} is a JavaScript/TypeScript model; unit tests test SQL models`);
      continue;
    }
    const given = new Map<NodeId, (typeof u.given)[number]>();
    for (const g of u.given) {
      const target = 'ref' in g.input ? c.resolveRef(g.input.ref, g.origin.file, g.origin.line) : c.resolveSource(g.input.source, g.input.table, g.origin.file, g.origin.line);
      if (!target) continue;
      if (!model.dependsOn.includes(target.id)) at(`${u.model} does not read ${g.inputText}; it reads ${model.dependsOn.map((d) => c.nodes[d].name).join(', ') || 'nothing'}`, g.origin.line);
      else given.set(target.id, g);
    }
    const out = c.render(c.parsedModels.get(model.id)!, model, quoteRelation(model.relation), (n) => quoteRelation(mockOf(n)));
    if (!out) continue;
    const id = `unit_test.${u.model}.${u.name}`;
    if (c.nodes[id]) at(`another unit test of ${u.model} has this name`);
    c.nodes[id] = {
      id,
      kind: 'unit_test',
      name: u.name,
      origin: u.origin,
      description: u.description,
      tags: u.tags,
      meta: {},
      dependsOn: [],
      model: model.id,
      sql: out.sql,
      inputs: model.dependsOn.map((d) => {
        const g = given.get(d);
        return { nodeId: d, relation: mockOf(c.nodes[d]), rows: g ? fixture(c, g.rows) : undefined, origin: g?.origin };
      }),
      expect: fixture(c, u.expect),
      key: u.key,
      fingerprint: unitFingerprint(u, model),
    };
  }
}

/** A unit test is its YAML entry: the inputs it gives, the rows it expects (a fixture file by its path). */
function unitFingerprint(u: UnitTestDef, model: ModelNode): Node['fingerprint'] {
  const checksum = valueChecksum({ model: u.model, given: u.given.map((g) => ({ input: g.inputText, rows: g.rows })), expect: u.expect, key: u.key });
  return { config: { enabled: true, tags: [...u.tags].sort(), meta: {} }, rawCode: '', checksum, macros: [], vars: {}, properties: { origin: u.origin, checksum: valueChecksum({ model: model.id, description: u.description }) } };
}

const mockOf = (n: Node) => relation(MOCK_SCHEMA, n.kind === 'source' ? `source__${n.sourceName}__${n.tableName}` : `ref__${n.name}`);

function fixture(c: Compilation, r: RowsDef): RowsDef {
  return r.kind === 'fixture' ? { kind: 'fixture', path: isAbsolute(r.path) ? r.path : join(c.def.root, r.path) } : r;
}
