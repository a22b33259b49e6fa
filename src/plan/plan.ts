import type { WarehouseState } from '../adapter/adapter.js';
import type { Dag } from '../graph/dag.js';
import { quoteRelation, relation, type Manifest, type ModelNode, type Node, type NodeId, type SeedNode, type Severity } from '../types.js';
import { expireSql } from '../operate/retention.js';
import { ERASURES, keepsRows, reEraseSql } from '../operate/subjects.js';
import { MATERIALIZERS, type PlanOptions, type Removal, type Statement } from './materializations/index.js';
import { jsTable } from './materializations/js.js';

/** What to do for one node. */
export type StepAction =
  /** Run the statements in order on one connection; rows come from the CREATE TABLE AS (or the INSERT/MERGE). */
  | { readonly kind: 'run'; readonly statements: readonly Statement[]; readonly verb: string; readonly preHooks?: readonly string[]; readonly postHooks?: readonly string[] }
  /**
   * Run `prepare` (storing failing rows, when asked), count the failing rows with `sql`, judge the count
   * against the thresholds, and read the first few failing rows with `sample` when there are any.
   */
  | {
      readonly kind: 'test';
      readonly prepare: readonly string[];
      readonly sql: string;
      readonly sample: string;
      readonly severity: Severity;
      readonly warnIf: string;
      readonly errorIf: string;
    }
  /** A unit test: runs on the in-memory unit-test DuckDB, never on the target. */
  | { readonly kind: 'unit' }
  /** Nothing to build (ephemeral models, sources): the node passes straight through. */
  | { readonly kind: 'pass' }
  /** A node whose SQL does not parse: it fails with this error and runs none of its statements. */
  | { readonly kind: 'fail'; readonly error: string };

export interface PlanStep {
  readonly nodeId: NodeId;
  readonly action: StepAction;
  /** Steps of this plan that must succeed first; if one fails or is skipped, this one is skipped. */
  readonly waitsFor: readonly NodeId[];
}

/** Plain data: what runs, in which order. `compile --dry-run`-style output and tests read it without a database. */
export interface Plan {
  /** Runs once before any step (schemas). */
  readonly setup: readonly string[];
  /** In a topological order. */
  readonly steps: readonly PlanStep[];
}

export type PlanMode = 'run' | 'seed' | 'test' | 'build' | 'snapshot';

const KINDS_BY_MODE: Record<PlanMode, ReadonlySet<Node['kind']>> = {
  run: new Set(['model', 'source']),
  seed: new Set(['seed']),
  test: new Set(['test', 'unit_test']),
  snapshot: new Set(['model']),
  build: new Set(['model', 'seed', 'source', 'test', 'unit_test']),
};

export function countQuery(testSql: string): string {
  return `select count(*) as failures from (\n${testSql}\n) as eider_test`;
}

/** Where `store_failures` keeps a test's failing rows. */
export const AUDIT_SCHEMA = 'eider_audit';
const SAMPLE_ROWS = 5;

/** Whether a command of this mode builds, loads or tests the node when it is selected. */
export function actsOn(mode: PlanMode, n: Node): boolean {
  return KINDS_BY_MODE[mode].has(n.kind) && (mode !== 'snapshot' || (n.kind === 'model' && n.materialized === 'snapshot'));
}

/** Sources and ephemeral models are read where they are or inlined: they never run, and no count includes them. */
export function passesThrough(node: Node): boolean {
  return node.kind === 'source' || (node.kind === 'model' && node.materialized === 'ephemeral');
}

/** Pure: the manifest, the selection and the warehouse as it is now give the statements to run. */
export function planRun(manifest: Manifest, dag: Dag, selected: ReadonlySet<NodeId>, mode: PlanMode, state: WarehouseState, opts: PlanOptions = { fullRefresh: false }): Plan {
  const ids = dag.order.filter((id) => selected.has(id) && actsOn(mode, manifest.nodes[id]));
  const inPlan = new Set(ids);
  // A node waits for the parents in the plan, and for those a source or an ephemeral model outside the plan reads
  // (`-s raw_orders stg_orders`, where stg_orders reads a source over the seed raw_orders).
  const planParents = (id: NodeId): NodeId[] =>
    dag.parents(id).flatMap((p) => (inPlan.has(p) ? [p] : passesThrough(manifest.nodes[p]) ? planParents(p) : []));
  const waits = new Map<NodeId, Set<NodeId>>(ids.map((id) => [id, new Set(planParents(id))]));

  // A model waits for its unit tests: a model whose logic is wrong is not built.
  for (const id of ids) {
    const unit = manifest.nodes[id];
    if (unit.kind === 'unit_test' && inPlan.has(unit.model)) waits.get(unit.model)!.add(id);
  }

  // Write–audit–publish inside build: the children of a node wait for that node's tests,
  // unless the test also reads a descendant of the child (that would be a cycle).
  if (mode === 'build') {
    for (const id of ids) {
      const test = manifest.nodes[id];
      if (test.kind !== 'test' || !test.attachedTo) continue;
      for (const child of dag.children(test.attachedTo)) {
        if (child === id || !inPlan.has(child) || manifest.nodes[child].kind === 'test') continue;
        const below = dag.reach(child, 'down');
        if (test.dependsOn.some((d) => d === child || below.has(d))) continue;
        waits.get(child)!.add(id);
      }
    }
  }

  const schemas = new Set<string>();
  const steps = ids.map((id): PlanStep => {
    const node = manifest.nodes[id];
    const planned = stepFor(node, manifest, state, opts);
    const error = opts.broken?.get(id);
    const action: StepAction = error !== undefined && planned.kind !== 'pass' ? { kind: 'fail', error } : planned;
    if (action.kind === 'run' && (node.kind === 'model' || node.kind === 'seed')) schemas.add(node.relation.schema);
    if (action.kind === 'test' && action.prepare.length > 0) schemas.add(AUDIT_SCHEMA);
    return { nodeId: id, action, waitsFor: [...waits.get(id)!] };
  });
  const setup = [...schemas].filter((s) => !state.schemas.has(s.toLowerCase())).map((s) => `create schema if not exists "${s.replaceAll('"', '""')}"`);
  return { setup, steps };
}

/**
 * After a table, incremental model, snapshot or seed is built: its retention deletes the expired rows, and the
 * subjects this target has erased (eider.erasures) are erased again — a seed or a source brings them back. Not in
 * --empty builds, which change no data.
 */
function removals(node: ModelNode | SeedNode, state: WarehouseState, opts: PlanOptions): Removal[] {
  if (opts.empty || !keepsRows(node)) return [];
  const expire: Removal[] = node.retention ? [{ kind: 'remove', reason: 'expired', field: node.retention.field, sql: expireSql(node.relation, node.retention, node.kind === 'model' ? node.materialized : undefined) }] : [];
  const erase = state.relations.has(ERASURES.toLowerCase()) ? reEraseSql(node).map((sql): Removal => ({ kind: 'remove', reason: 'erased', sql })) : [];
  return [...expire, ...erase];
}

/**
 * The removals go inside the build's own transaction when it ends with one: a failed expiry or re-erasure rolls the
 * build back, so the old relation stays, never the new rows with the expired or erased ones still in them.
 */
function withRemovals(built: readonly Statement[], removals: readonly Removal[]): Statement[] {
  if (removals.length === 0) return [...built];
  if (built.at(-1) === 'commit') return [...built.slice(0, -1), ...removals, 'commit'];
  // Plain statements in autocommit (`create or replace table … as`): one transaction around them and the removals.
  if (built.every((st) => typeof st === 'string' && st !== 'begin transaction')) return ['begin transaction', ...built, ...removals, 'commit'];
  return [...built, ...removals]; // steps with transactions of their own (micro-batches, upserts, JavaScript)
}

function stepFor(node: Node, manifest: Manifest, state: WarehouseState, opts: PlanOptions): StepAction {
  switch (node.kind) {
    case 'model': {
      const built = node.js ? jsTable(node, manifest, state, opts) : MATERIALIZERS[node.materialized](node, state, opts);
      if (built.length === 0) return { kind: 'pass' };
      const statements = withRemovals(built, removals(node, state, opts));
      const updates = built.some((s) => typeof s !== 'string');
      const verb =
        node.materialized === 'incremental' && updates
          ? 'updated incremental'
          : node.materialized === 'snapshot'
            ? built.some((s) => typeof s === 'string' && s.startsWith('update'))
              ? 'updated snapshot'
              : built.some((s) => typeof s === 'string' && /^create or replace table|^begin/.test(s)) ? 'created snapshot' : 'checked snapshot'
            : node.materialized === 'ephemeral'
              ? 'dropped old relation of ephemeral'
              : `created ${node.materialized}`;
      // --empty only checks: hooks (an export, a grant, a log row) are side effects it must not have.
      return opts.empty ? { kind: 'run', statements, verb } : { kind: 'run', statements, verb, preHooks: node.preHooks, postHooks: node.postHooks };
    }
    case 'seed':
      return { kind: 'run', statements: withRemovals(MATERIALIZERS.seed(node, state, opts), removals(node, state, opts)), verb: 'loaded seed' };
    case 'test': {
      const judge = { severity: node.severity, warnIf: node.warnIf, errorIf: node.errorIf };
      if (!node.storeFailures) {
        return { kind: 'test', prepare: [], sql: countQuery(node.sql), sample: `select * from (\n${node.sql}\n) as eider_test limit ${SAMPLE_ROWS}`, ...judge };
      }
      const store = quoteRelation(relation(AUDIT_SCHEMA, node.name));
      return { kind: 'test', prepare: [`create or replace table ${store} as\n${node.sql}`], sql: `select count(*) as failures from ${store}`, sample: `select * from ${store} limit ${SAMPLE_ROWS}`, ...judge };
    }
    case 'source':
      return { kind: 'pass' };
    case 'unit_test':
      return { kind: 'unit' };
  }
}
