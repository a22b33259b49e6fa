import type { GraphData } from './graph-types.js';
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

/** What a page shows of a node; built by src/docs/generate.ts from manifest.json, catalog.json and the run history. */
export type DocsResourceType = 'model' | 'seed' | 'source' | 'snapshot' | 'test' | 'unit_test';

export interface DocsColumn {
  readonly name: string;
  readonly description: string;
  /** DuckDB's type from catalog.json, else the declared data_type, else null. */
  readonly data_type: string | null;
}

/** One build of a node (eider.node_runs), oldest first. */
export interface DocsRun {
  readonly release_id: string;
  readonly started_at: string;
  readonly status: string;
  readonly duration_ms: number | null;
  readonly rows: number | null;
}

export interface DocsNode {
  readonly unique_id: string;
  readonly resource_type: DocsResourceType;
  readonly name: string;
  /** models/staging/stg_orders.sql: models by their first folder under models/ ("models" when at its top), else the kind's plural. */
  readonly layer: string;
  readonly original_file_path: string;
  /** Resolved Markdown (doc blocks filled in). */
  readonly description: string;
  readonly tags: readonly string[];
  readonly config: Readonly<Record<string, unknown>>;
  /** The file `code/<n>.js` that holds this node's DocsCode (loaded when its Code tab opens), or null when it has none. */
  readonly code_chunk: number | null;
  readonly depends_on: readonly string[];
  /** "schema"."name" in the target, or null (ephemeral, tests). */
  readonly relation: string | null;
  readonly columns: readonly DocsColumn[];
  /** From catalog.json: table or view, count(*) (tables), storage bytes (tables). */
  readonly stats: { readonly type: string; readonly row_count: number | null; readonly bytes: number | null } | null;
  /** Tests: the node and column they test. */
  readonly test?: { readonly attached_node: string | null; readonly column_name: string | null; readonly severity: string; readonly test_name: string };
  /** Tests: the last result in the history. */
  readonly last_result?: { readonly status: string; readonly failures: number | null; readonly at: string };
  /** Sources with a freshness rule: the rule and the last check in the history. */
  readonly freshness?: { readonly warn_after: string | null; readonly error_after: string | null; readonly last: { readonly status: string; readonly max_loaded_at: string | null; readonly age_s: number | null; readonly checked_at: string } | null };
  /** Recent builds, oldest first (at most RECENT_RUNS). */
  readonly runs: readonly DocsRun[];
}

/** A node's template and compiled SQL: kept out of data.js (they are most of its weight) in `code/<n>.js`, one file per CODE_CHUNK nodes, each `window.EIDER_CODE(n, {unique_id: DocsCode, …});`. */
export interface DocsCode {
  readonly raw_code: string;
  readonly compiled_code: string | null;
}

export interface DocsRelease {
  readonly release_id: string;
  readonly command: string;
  readonly status: string;
  readonly started_at: string;
}

export interface DocsData {
  readonly schema_version: 1;
  readonly generated_at: string;
  readonly project: {
    readonly name: string;
    readonly target: string;
    /** The `overview` doc block's Markdown, or null. */
    readonly overview: string | null;
  };
  /** What the site could not read (e.g. no target file yet: no types, no history), to show on the overview. */
  readonly notes: readonly string[];
  readonly nodes: readonly DocsNode[];
  /** The target's last releases, newest first. */
  readonly releases: readonly DocsRelease[];
  readonly column_lineage: ColumnLineage;
  /** The lineage graph's data (`graphData(manifest)` from src/docs/graph-data.ts). */
  readonly graph: GraphData;
}
