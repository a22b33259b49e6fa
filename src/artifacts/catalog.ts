import { relationKey } from '../adapter/adapter.js';
import type { Manifest, Node } from '../types.js';

export const CATALOG_SCHEMA = 'https://eider.dev/schemas/catalog/v1.json';

/** A relation of the target as DuckDB describes it. */
export interface CatalogRelation {
  readonly schema: string;
  readonly name: string;
  readonly type: 'table' | 'view';
  readonly comment: string | null;
  /** Tables: `count(*)`; views: none (counting would run their query). */
  readonly rowCount: number | null;
  /** Tables: the storage their data takes in the file (an estimate); views: none. */
  readonly bytes: number | null;
  readonly columns: ReadonlyArray<{ readonly name: string; readonly dataType: string; readonly nullable: boolean; readonly comment: string | null }>;
}

/** What the catalog was read from. */
export interface CatalogSource {
  readonly duckdbVersion: string;
  readonly generatedAt: string;
}

/**
 * target/catalog.json: every relation of the target with its columns, counts and size, and the node it belongs
 * to (matched by relation: a model, seed, snapshot or a source that lives in the target), or `null`.
 */
export function catalogJson(relations: readonly CatalogRelation[], manifest: Manifest, from: CatalogSource, eiderVersion: string): Record<string, unknown> {
  const owners = new Map<string, Node>();
  for (const n of Object.values(manifest.nodes)) {
    const r = n.kind === 'model' || n.kind === 'seed' || n.kind === 'source' ? n.relation : undefined;
    // An ephemeral model has no relation in the target; a source in an attached database is not in this file.
    if (!r || r.catalog !== undefined || (n.kind === 'model' && n.materialized === 'ephemeral')) continue;
    // A source that names a seed's (or model's) table only reads it: the table is the seed's.
    if (n.kind !== 'source' || !owners.has(relationKey(r))) owners.set(relationKey(r), n);
  }
  return {
    metadata: {
      schema_version: CATALOG_SCHEMA,
      eider_version: eiderVersion,
      generated_at: from.generatedAt,
      invocation_id: manifest.invocationId,
      target: manifest.target.name,
      duckdb_version: from.duckdbVersion,
    },
    relations: relations.map((r) => {
      const owner = owners.get(relationKey(r));
      return {
        unique_id: owner?.id ?? null,
        resource_type: owner?.kind ?? null,
        schema: r.schema,
        name: r.name,
        type: r.type,
        comment: r.comment,
        row_count: r.rowCount,
        bytes: r.bytes,
        columns: r.columns.map((c, i) => ({ name: c.name, index: i + 1, data_type: c.dataType, nullable: c.nullable, comment: c.comment })),
      };
    }),
  };
}
