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
    const node = seedNode(c, seed, config);
    checkOperating(node, (key) => configOrigin(seed.layers, key) ?? seed.props?.origin ?? node.origin, c.diagnostics);
    c.nodes[node.id] = node;
    c.byName.set(seed.name, node);
  }
}

function seedNode(c: Compilation, seed: SeedDef, config: Record<string, unknown>): SeedNode {
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
      checksum: csvChecksum(path),
      macros: [],
      vars: {},
      properties: resourceProperties(seed.props),
    },
  };
}

/** A seed's checksum is of its contents (an unreadable file is reported when the seed loads). */
function csvChecksum(path: string): string {
  try {
    return sha256(readFileSync(path));
  } catch {
    return '';
  }
}
