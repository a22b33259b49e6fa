import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configOrigin, mergeConfig } from '../../project/config.js';
import type { SeedDef } from '../../project/parse.js';
import { retentionOf } from '../../operate/retention.js';
import { checkOperating } from './operating.js';
import { relation, type SeedNode } from '../../types.js';
import type { Compilation } from '../compilation.js';
import { resolvedConfig, resourceProperties, sha256 } from '../fingerprint.js';

/** Seeds: a CSV file each, loaded into a table; their relations are what refs to them render to. */
export function compileSeeds(c: Compilation): void {
  for (const seed of c.def.seeds) {
    const config = mergeConfig(seed.layers);
    if (config.enabled === false) {
      c.disabled.add(seed.name);
      continue;
    }
    const bytes = readSeed(join(c.def.root, seed.file));
    const node = seedNode(c, seed, config, bytes);
    if (bytes) checkDelimiter(c, node, bytes);
    checkOperating(node, (key) => configOrigin(seed.layers, key) ?? seed.props?.origin ?? node.origin, c.diagnostics);
    c.nodes[node.id] = node;
    c.byName.set(seed.name, node);
  }
}

function seedNode(c: Compilation, seed: SeedDef, config: Record<string, unknown>, bytes: Buffer | undefined): SeedNode {
  const path = join(c.def.root, seed.file);
  return {
    id: `seed.${seed.name}`,
    kind: 'seed',
    name: seed.name,
    origin: { file: seed.file, line: 1 },
    description: seed.props?.description ?? '',
    tags: config.tags as string[],
    meta: { ...seed.props?.meta, ...(config.meta as Record<string, unknown> | undefined) },
    dependsOn: [],
    relation: relation((config.schema as string) ?? c.def.target.schema, (config.alias as string) ?? seed.name),
    path,
    columnTypes: (config.column_types as Record<string, string>) ?? {},
    columnTypesOrigin: configOrigin(seed.layers, 'column_types'),
    delimiter: config.delimiter as string | undefined,
    columns: seed.props?.columns ?? [],
    retention: retentionOf(config, c.runStartedAt),
    fingerprint: {
      config: resolvedConfig('seed', config, seed.name),
      rawCode: '',
      checksum: bytes ? sha256(bytes) : '',
      macros: [],
      vars: {},
      properties: resourceProperties(seed.props),
    },
  };
}

/** A seed's contents, for its checksum and its header (an unreadable file is reported when the seed loads). */
function readSeed(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/**
 * A CSV whose header holds no delimiter but tabs, semicolons or pipes would load as one column named after the
 * whole header line: it is an error at its first line, saying which delimiter to set.
 */
function checkDelimiter(c: Compilation, node: SeedNode, bytes: Buffer): void {
  const head = bytes.subarray(0, 64 * 1024).toString('utf8').split('\n')[0].replace(/^\uFEFF/, '').replace(/\r$/, '');
  const delimiter = node.delimiter ?? ',';
  if (head.includes(delimiter)) return;
  const other = ([['\t', 'tabs', '"\\t"'], [';', 'semicolons', '";"'], ['|', 'pipes', '"|"']] as const).find(([d]) => head.includes(d));
  if (!other) return;
  c.diagnostics.push({
    severity: 'error',
    file: node.origin.file,
    line: 1,
    message: `seed "${node.name}": the header holds no "${delimiter === '\t' ? '\\t' : delimiter}" but ${other[1]}, so it would load as one column: set its delimiter (in a properties file: seeds: [{name: ${node.name}, config: {delimiter: ${other[2]}}}])`,
  });
}
