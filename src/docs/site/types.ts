// The contract between `eider docs generate` (Node) and the site's browser code: the generator writes
// target/docs/data.js as `window.EIDER_DOCS = <DocsData>`; the browser code reads only this.
// Extend it as the site grows; keep keys snake_case like manifest.json.

/** One upstream column an output column is computed from. */
export interface ColumnSource {
  readonly node: string; // unique_id, e.g. "model.stg_orders", "seed.raw_orders", "source.raw.orders"
  readonly column: string;
}

/** For each output column of a model: where its values come from, or unknown with the reason (never a guess). */
export interface ColumnLineageEntry {
  readonly column: string;
  readonly sources: readonly ColumnSource[];
  readonly unknown?: string; // set (to the reason) when the SQL could not be traced; sources is then empty
}

/** unique_id → its columns' lineage, in output column order. */
export type ColumnLineage = Record<string, readonly ColumnLineageEntry[]>;

export interface DocsData {
  readonly schema_version: 1;
  readonly generated_at: string;
  readonly project: { readonly name: string };
  readonly nodes: readonly unknown[]; // shaped by the site generator
}
