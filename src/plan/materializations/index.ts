import type { WarehouseState } from '../../adapter/adapter.js';
import type { Materialization, ModelNode, Relation, SeedNode } from '../../types.js';
import { ephemeral } from './ephemeral.js';
import { external } from './external.js';
import { incremental } from './incremental.js';
import { seed } from './seed.js';
import { snapshot } from './snapshot.js';
import { table } from './table.js';
import { view } from './view.js';

/** Reconciles the columns of incoming rows with the existing table before they are applied (on_schema_change). */
export interface SchemaSync {
  readonly kind: 'schema_sync';
  readonly target: Relation;
  /** The quoted (temporary) relation holding the incoming rows. */
  readonly incoming: string;
  readonly mode: 'ignore' | 'append_new_columns' | 'sync_all_columns' | 'fail';
  readonly model: string;
}

/**
 * File work around external models: make the folder and clear a stale staged copy; move the staged copy into
 * place. In a swap build the move waits for the publish (`publish`: the step only marks it, with the view
 * that points the release at the final path), so a failed build leaves the published files as they were.
 */
export interface FileOp {
  readonly kind: 'file';
  readonly op: 'prepare' | 'replace' | 'publish';
  readonly path: string;
  readonly staged: string;
  readonly view?: string;
}

/**
 * microbatch: the executor works out the windows (from the table's newest event time less `lookback`
 * batches, or the window asked for) and replaces each window's rows in its own transaction.
 */
export interface MicroBatch {
  readonly kind: 'microbatch';
  readonly target: Relation;
  readonly sql: string;
  readonly eventTime: string;
  readonly batchSize: 'hour' | 'day' | 'month';
  readonly lookback: number;
  readonly begin?: string;
  readonly start?: string;
  readonly end?: string;
  /** The upper bound when no end is given: the run's start. */
  readonly now: string;
}

/** Runs a JavaScript/TypeScript model's function on its inputs (as Arquero tables) and appends the result to `target`. */
export interface JsRun {
  readonly kind: 'js';
  readonly path: string;
  readonly model: string;
  readonly target: Relation;
  readonly inputs: ReadonlyArray<{ readonly kind: 'ref' | 'source'; readonly name: string; readonly sql: string }>;
  /** What the model's function is handed besides its inputs: the project's vars, the target, its own relation. */
  readonly context: { readonly vars: Readonly<Record<string, unknown>>; readonly target: Readonly<Record<string, unknown>>; readonly this: { readonly schema: string; readonly name: string } };
}

/**
 * merge: when the incoming rows carry every column of the table, replacing matched rows whole (DELETE … USING,
 * then INSERT) gives MERGE's result several times faster in DuckDB; otherwise MERGE INTO … BY NAME keeps the
 * columns the incoming rows lack. The executor decides from the columns it finds.
 */
export interface Upsert {
  readonly kind: 'upsert';
  readonly target: Relation;
  readonly incoming: string;
  readonly keys: readonly string[];
}

/**
 * snapshot check_cols: all — the keys of incoming rows that differ from the current version in any column they
 * share with the snapshot (NULLs compare equal), into a temporary table. The executor reads the columns.
 */
export interface ChangedRows {
  readonly kind: 'changed_rows';
  readonly target: Relation;
  readonly incoming: string;
  readonly keys: readonly string[];
  readonly into: string;
}

/**
 * Rows deleted (or, for erased subjects, nulled) once the node is built, in the same step: expired by its retention, or
 * carrying a subject this target has erased. Counted apart from the rows the build wrote.
 */
export interface Removal {
  readonly kind: 'remove';
  readonly reason: 'expired' | 'erased';
  readonly sql: string;
  /** An expiry's `retention.field`, named when its column has a type retention cannot compare. */
  readonly field?: string;
}

/** A SQL statement, or a step the executor works out (schema sync, micro-batches, upserts), does on files, or runs in JavaScript. */
export type Statement = string | SchemaSync | FileOp | MicroBatch | JsRun | Upsert | ChangedRows | Removal;

export interface PlanOptions {
  /** Rebuild incremental models from scratch. */
  readonly fullRefresh: boolean;
  /** microbatch backfill window (ISO dates or timestamps; the end is exclusive). */
  readonly eventTimeStart?: string;
  readonly eventTimeEnd?: string;
  /** A swap build: files (external models) move into place when the release is published, not before. */
  readonly deferFiles?: boolean;
  /** Nodes whose SQL does not parse, with the error each fails with (their statements never run). */
  readonly broken?: ReadonlyMap<string, string>;
  /** `--empty`: models read zero rows; no snapshot history changes and no external file is written. */
  readonly empty?: boolean;
}

/** The statements that build one node, in order. Pure: the same node, state and options give the same SQL. */
export type Materializer<N> = (node: N, state: WarehouseState, opts: PlanOptions) => Statement[];

/** One handler per kind: a new materialization does not compile until it is listed here. */
export const MATERIALIZERS: { readonly [K in Materialization]: Materializer<ModelNode> } & { readonly seed: Materializer<SeedNode> } = {
  view,
  table,
  ephemeral,
  incremental,
  snapshot,
  external,
  seed,
};
