import type { Diagnostic } from './errors.js';

/** `model.stg_orders`, `seed.raw_customers`, `source.vyapar.customers`, `test.unique_stg_orders_order_id`. */
export type NodeId = string;

/** A relation in the target database. Made by `relation()`, quoted only by `quoteRelation()`. */
export interface Relation {
  /** Another attached database (profile `attach:`); none means the target. */
  readonly catalog?: string;
  readonly schema: string;
  readonly name: string;
}

export function relation(schema: string, name: string, catalog?: string): Relation {
  return Object.freeze(catalog === undefined ? { schema, name } : { catalog, schema, name });
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteRelation(r: Relation): string {
  return `${r.catalog === undefined ? '' : `${quoteIdent(r.catalog)}.`}${quoteIdent(r.schema)}.${quoteIdent(r.name)}`;
}

export function quoteLiteral(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

export function displayRelation(r: Relation): string {
  return `${r.catalog === undefined ? '' : `${r.catalog}.`}${r.schema}.${r.name}`;
}

export const MATERIALIZATIONS = ['view', 'table', 'ephemeral', 'incremental', 'snapshot', 'external'] as const;
export const INCREMENTAL_STRATEGIES = ['append', 'delete+insert', 'merge', 'microbatch'] as const;
export const BATCH_SIZES = ['hour', 'day', 'month'] as const;
export const SCHEMA_CHANGES = ['ignore', 'append_new_columns', 'sync_all_columns', 'fail'] as const;
export type Materialization = (typeof MATERIALIZATIONS)[number];

export interface ColumnDef {
  readonly name: string;
  readonly description: string;
  readonly dataType?: string;
  readonly meta: Readonly<Record<string, unknown>>;
}

/** Where a thing was written: a project-relative file and a 1-based line. */
export interface Origin {
  readonly file: string;
  readonly line?: number;
}

interface NodeBase {
  readonly id: NodeId;
  readonly name: string;
  readonly origin: Origin;
  readonly description: string;
  readonly tags: readonly string[];
  readonly meta: Readonly<Record<string, unknown>>;
  /** Direct upstream nodes, in the order the template or YAML names them. */
  readonly dependsOn: readonly NodeId[];
  /** What the node is made from, written to manifest.json for a later run to compare (state:modified). */
  readonly fingerprint: Fingerprint;
}

/** A node's inputs as a later run compares them: nothing here depends on the target. */
export interface Fingerprint {
  /** The resolved configuration: every key of the node's kind, defaults filled in, snake_case. */
  readonly config: Readonly<Record<string, unknown>>;
  /** The file's text, templates unrendered; '' for what YAML declares and for seeds. */
  readonly rawCode: string;
  /** sha256 of the file (a seed's CSV contents), or of the YAML declaration. */
  readonly checksum: string;
  /** Unique ids of the partials and helpers its template uses (see Manifest.macros). */
  readonly macros: readonly string[];
  /** The vars its template reads → sha256 of the value; null when unset or read from the environment. */
  readonly vars: Readonly<Record<string, string | null>>;
  /** The properties YAML entry that applies to it (none: no origin) and a checksum of what it says besides config. */
  readonly properties: { readonly origin?: Origin; readonly checksum: string };
}

/** A partial (macros/*.sql) or a helper (an exported function of macros/*.js|ts) templates use. */
export interface MacroDef {
  /** `macro.<partial>` or `helper.<function>`. */
  readonly id: string;
  readonly name: string;
  readonly kind: 'macro' | 'helper';
  readonly file: string;
  /** sha256 of its file. */
  readonly checksum: string;
}

export interface ModelNode extends NodeBase {
  readonly kind: 'model';
  readonly materialized: Materialization;
  readonly relation: Relation;
  readonly columns: readonly ColumnDef[];
  /** Incremental models: the SQL rendered with is_incremental true, and how it is applied. */
  readonly incremental?: {
    readonly sql: string;
    readonly strategy: (typeof INCREMENTAL_STRATEGIES)[number];
    readonly uniqueKey: readonly string[];
    readonly onSchemaChange: (typeof SCHEMA_CHANGES)[number];
    /** microbatch: the event-time column, window size, windows re-processed, and where history begins. */
    readonly eventTime?: string;
    readonly batchSize: (typeof BATCH_SIZES)[number];
    readonly lookback: number;
    readonly begin?: string;
    /** The run's start: microbatch's upper bound when no end is given. */
    readonly runStartedAt: string;
  };
  /** Snapshots (SCD type 2): how a change is detected, and whether vanished keys are closed. */
  readonly snapshot?: {
    readonly strategy: 'timestamp' | 'check';
    readonly uniqueKey: readonly string[];
    readonly updatedAt?: string;
    /** Columns compared by the check strategy. */
    readonly checkCols: readonly string[];
    readonly invalidateHardDeletes: boolean;
    /** The run's timestamp, the same for every row of one run. */
    readonly runStartedAt: string;
  };
  /** A JavaScript/TypeScript model: the module (absolute path) whose default export builds the table. */
  /** A JavaScript/TypeScript model: its module, and the project's vars it is handed (`vars` in its context). */
  readonly js?: { readonly path: string; readonly vars: Readonly<Record<string, unknown>> };
  /** External models: files written with COPY, exposed as a view over them. */
  readonly external?: {
    /** Absolute path of the file (or folder, when partitioned), inside the project's output folder. */
    readonly path: string;
    readonly format: 'parquet' | 'csv' | 'json';
    readonly partitionBy: readonly string[];
  };
  /** SQL run before and after the model's own statements, in the same step. */
  readonly preHooks: readonly string[];
  readonly postHooks: readonly string[];
  /** A freshness SLA: warn/error when the last successful build is older. */
  readonly freshness?: FreshnessRule;
  /** Rows older than the retention period are deleted after each build (tables, incremental models, snapshots). */
  readonly retention?: Retention;
  /** An enforced contract: the query must return exactly these columns with these types. */
  readonly contract?: ReadonlyArray<{ readonly name: string; readonly dataType: string }>;
  /** The rendered SELECT (ephemeral parents inlined as CTEs). */
  readonly sql: string;
}

export interface SeedNode extends NodeBase {
  readonly kind: 'seed';
  readonly relation: Relation;
  /** Absolute path of the CSV file. */
  readonly path: string;
  readonly columnTypes: Readonly<Record<string, string>>;
  /** Where column_types is written, for its errors. */
  readonly columnTypesOrigin?: Origin;
  readonly delimiter?: string;
  readonly columns: readonly ColumnDef[];
  readonly retention?: Retention;
}

/**
 * `retention: {field: created_at, keep: {count: 2, period: year}}`: after each build, rows whose `field` is older
 * than `keep` before the run's start are deleted (a snapshot's field defaults to valid_to).
 */
export interface Retention {
  readonly field: string;
  /** `{count, period}` or a string like '2 years'. */
  readonly keep: Period | string;
  /** The run's start: one cutoff for the whole run. */
  readonly runStartedAt: string;
}

/** `{count: 2, period: hour}` */
export interface Period {
  readonly count: number;
  readonly period: 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';
}

/** When a source counts as stale: its newest load (a column expression, or its files' mtime) older than these. */
export interface FreshnessRule {
  readonly warnAfter?: Period;
  readonly errorAfter?: Period;
  readonly loadedAtField?: string;
}

export interface SourceNode extends NodeBase {
  readonly kind: 'source';
  readonly sourceName: string;
  readonly tableName: string;
  /** A table or view in the target database … */
  readonly relation?: Relation;
  /** … or files read by a table function (absolute glob and format). */
  readonly files?: { readonly path: string; readonly format: 'csv' | 'parquet' | 'json'; readonly hivePartitioning?: boolean };
  /** What `{{source}}` renders to. */
  readonly sql: string;
  readonly columns: readonly ColumnDef[];
  readonly freshness?: FreshnessRule;
}

export type Severity = 'error' | 'warn';

export interface TestNode extends NodeBase {
  readonly kind: 'test';
  readonly testType: 'generic' | 'singular';
  /** `not_null`, `unique`, … or the file name of a singular test. */
  readonly testName: string;
  /** The node the test is declared on (generic tests). */
  readonly attachedTo?: NodeId;
  readonly column?: string;
  readonly severity: Severity;
  /** Thresholds on the failure count, like ">10" (default "!=0"). */
  readonly warnIf: string;
  readonly errorIf: string;
  /** Keep the failing rows in the audit schema of the target. */
  readonly storeFailures: boolean;
  /** A query returning the failing rows. */
  readonly sql: string;
}

/** Rows as a unit test gives them: mappings, CSV text, or a CSV file (absolute path once compiled). */
export type RowsDef =
  | { readonly kind: 'rows'; readonly rows: ReadonlyArray<Readonly<Record<string, unknown>>> }
  | { readonly kind: 'csv'; readonly text: string }
  | { readonly kind: 'fixture'; readonly path: string };

/** Where a unit test's mock inputs live, in its in-memory DuckDB. */
export const MOCK_SCHEMA = '__eider_unit';

export interface UnitInput {
  /** The upstream node this input stands in for. */
  readonly nodeId: NodeId;
  /** The mock relation the model reads in the unit test. */
  readonly relation: Relation;
  /** Given rows; none means an empty input. */
  readonly rows?: RowsDef;
  readonly origin?: Origin;
}

/** A unit test: the model rendered against mock inputs, run on an in-memory DuckDB, compared to expected rows. */
export interface UnitTestNode extends NodeBase {
  readonly kind: 'unit_test';
  readonly model: NodeId;
  /** The model's SQL with every ref and source rendered as its mock relation. */
  readonly sql: string;
  readonly inputs: readonly UnitInput[];
  readonly expect: RowsDef;
  readonly key?: readonly string[];
}

export type Node = ModelNode | SeedNode | SourceNode | TestNode | UnitTestNode;
export type NodeKind = Node['kind'];

/** Another database attached beside the target (profile `attach:`), read by sources with `database:`. */
export interface AttachDef {
  /** Absolute path of a DuckDB file, or an `md:` / `ducklake:` path. */
  readonly path: string;
  readonly alias: string;
  readonly readOnly: boolean;
}

export interface TargetDef {
  readonly profile: string;
  readonly name: string;
  /**
   * Absolute path of the DuckDB file, or ':memory:', or a database that is not a local file: `md:<database>`
   * (MotherDuck) or `ducklake:<metadata>` (a DuckLake catalog, its files under `dataPath`).
   */
  readonly path: string;
  /** DuckLake: where the catalog's Parquet files are written (profile key `data_path`). */
  readonly dataPath?: string;
  /** Databases attached on open, in order. */
  readonly attach?: readonly AttachDef[];
  /** Extensions LOADed on open (they must be installed: eider never downloads one). */
  readonly extensions?: readonly string[];
  readonly threads: number;
  /** The schema of every model and seed that names none of its own (profile key `schema`, default main). */
  readonly schema: string;
  readonly settings: Readonly<Record<string, string>>;
  /** in_place: build into the file; swap: build a fresh file and rename it over the target when every test passed. */
  readonly publish: 'in_place' | 'swap';
  /** Previous releases kept for rollback (swap). */
  readonly keepReleases: number;
  /** Transient failures (a lock held by a reader, an I/O hiccup) are tried again; SQL errors never are. */
  readonly retries: { readonly attempts: number; readonly backoffMs: number };
  /**
   * The folder external models write into, relative to the project (profile key `output`); by default
   * `<paths.output>/<target name>`, so a dev build never replaces the files a prod release published.
   */
  readonly output?: string;
  /**
   * When a build compacts the file (profile key `compact`): when its size passes `threshold` times the bytes DuckDB
   * uses in it, and every `every`th build in its history (0: never).
   */
  readonly compact: { readonly threshold: number; readonly every: number };
  /** Where the target is written in the profiles file: its path's line and each setting's, for messages. */
  readonly lines?: {
    readonly file: string;
    readonly path?: number;
    readonly settings: Readonly<Record<string, number | undefined>>;
    /** Each extension's line, and each attached database's (by alias). */
    readonly extensions?: Readonly<Record<string, number | undefined>>;
    readonly attach?: Readonly<Record<string, number | undefined>>;
  };
}

/** The compiled project: every node with its rendered SQL and its edges. */
export interface Manifest {
  readonly projectName: string;
  readonly root: string;
  readonly target: TargetDef;
  readonly nodes: Readonly<Record<NodeId, Node>>;
  /** Every partial and helper of the project, by unique id. */
  readonly macros: Readonly<Record<string, MacroDef>>;
  readonly diagnostics: readonly Diagnostic[];
  readonly generatedAt: string;
  readonly invocationId: string;
  /** `--defer`: the nodes this run reads from the deferred target, and their relations there. */
  readonly deferred?: ReadonlyMap<NodeId, Relation>;
}

export type NodeStatus = 'success' | 'error' | 'warn' | 'fail' | 'pass' | 'skipped';

export interface NodeResult {
  readonly nodeId: NodeId;
  readonly status: NodeStatus;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly rows?: number;
  /** Rows the node's retention deleted after it was built (none: it has no retention). */
  readonly expired?: number;
  /** Rows of erased subjects (eider.erasures) removed again after it was built. */
  readonly erased?: number;
  /** For tests: the number of failing rows, and the first few of them. */
  readonly failures?: number;
  readonly sample?: { readonly columns: readonly string[]; readonly rows: ReadonlyArray<readonly string[]> };
  readonly message: string;
  readonly error?: string;
  /** More to read under the line, such as a unit test's row diff. */
  readonly detail?: string;
}

export interface RunResult {
  readonly command: string;
  readonly startedAt: string;
  readonly elapsedMs: number;
  readonly results: readonly NodeResult[];
  /** What the run was asked to do, so `eider retry` can do it again. */
  readonly args?: RunArgs;
  /** What became of the run's writes: published (a swap release), discarded (nothing reached the target), in_place (dev). */
  readonly release?: 'published' | 'discarded' | 'in_place';
}

/** The options of a run that `eider retry` repeats. --vars are not kept (they may hold secrets): only whether some were given. */
export interface RunArgs {
  readonly select?: readonly string[];
  readonly exclude?: readonly string[];
  readonly fullRefresh?: boolean;
  readonly eventTimeStart?: string;
  readonly eventTimeEnd?: string;
  readonly empty?: boolean;
  /** build's --fail-on-stale-sources: retry checks the sources again before it builds. */
  readonly failOnStaleSources?: boolean;
  readonly varsGiven: boolean;
  /** --defer with its --state folder (absolute) and --defer-target. */
  readonly defer?: { readonly state: string; readonly target?: string };
}
