import { isAbsolute, join } from 'node:path';
import { didYouMean } from '../../errors.js';
import type { SourceTableDef } from '../../project/properties.js';
import { holdsSecret, registerSecret } from '../../secrets.js';
import { quoteLiteral, quoteRelation, relation, type ModelNode, type SeedNode, type SourceNode } from '../../types.js';
import type { Compilation } from '../compilation.js';
import { sourceProperties } from '../fingerprint.js';

/** Sources: tables of the target or an attached database, or files read by a table function. */
export function compileSources(c: Compilation): void {
  const aliases = (c.def.target.attach ?? []).map((a) => a.alias);
  for (const s of c.def.sources) {
    if (s.database !== undefined && !aliases.includes(s.database)) {
      const known = aliases.length > 0 ? `; attached: ${aliases.join(', ')}` : `; add it to the target's attach: list in the profile`;
      c.diagnostics.push({ severity: 'error', ...s.databaseOrigin, message: `source "${s.sourceName}": database "${s.database}" is not attached by target "${c.def.target.name}"${didYouMean(s.database, aliases)}${known}` });
    }
    const node = sourceNode(c.def.root, s, c.byName);
    if (c.sources.has(node.id)) {
      c.diagnostics.push({ severity: 'error', file: s.origin.file, line: s.origin.line, message: `duplicate source table ${s.sourceName}.${s.name}` });
    }
    c.sources.set(node.id, node);
    c.nodes[node.id] = node;
  }
}

function sourceNode(root: string, s: SourceTableDef, byName: ReadonlyMap<string, ModelNode | SeedNode>): SourceNode {
  const properties = sourceProperties(s);
  const base = {
    id: `source.${s.sourceName}.${s.name}`,
    kind: 'source' as const,
    name: `${s.sourceName}.${s.name}`,
    origin: s.origin,
    description: s.description,
    tags: [],
    meta: s.meta,
    sourceName: s.sourceName,
    tableName: s.name,
    columns: s.columns,
    freshness: s.freshness,
    fingerprint: { config: { enabled: true, tags: [], meta: s.meta }, rawCode: '', checksum: properties.checksum, macros: [], vars: {}, properties },
  };
  if (s.path && s.format) {
    const abs = isAbsolute(s.path) ? s.path : join(root, s.path);
    if (holdsSecret(s.path)) registerSecret(abs); // joining may change the text: the whole path is secret
    const fn = { csv: 'read_csv', parquet: 'read_parquet', json: 'read_json_auto' }[s.format];
    const hive = s.hivePartitioning === undefined ? '' : `, hive_partitioning = ${s.hivePartitioning}`;
    return { ...base, dependsOn: [], files: { path: abs, format: s.format, hivePartitioning: s.hivePartitioning }, sql: `${fn}(${quoteLiteral(abs)}${hive})` };
  }
  const rel = relation(s.schema, s.identifier, s.database);
  // A source over a table that a seed of this project loads is built after that seed.
  const seed = rel.catalog === undefined ? [...byName.values()].find((n) => n.kind === 'seed' && n.relation.schema === rel.schema && n.relation.name === rel.name) : undefined;
  return { ...base, dependsOn: seed ? [seed.id] : [], relation: rel, sql: quoteRelation(rel) };
}
