import type { Adapter, Session } from '../adapter/adapter.js';
import { redact } from '../secrets.js';
import { quoteIdent, quoteLiteral, quoteRelation, type Relation, type Manifest, type NodeId, type NodeResult, type NodeStatus } from '../types.js';
import { prepareStaged, replaceWithStaged } from './files.js';
import type { ChangedRows, FileOp, MicroBatch, Removal, SchemaSync, Upsert } from '../plan/materializations/index.js';
import type { Plan, PlanStep } from '../plan/plan.js';
import { JsModelError, runJsModel } from './js-model.js';
import { locateSqlError } from './sql-errors.js';
import type { UnitRunner } from './unit-tests.js';
import { formatDiagnostic, isTransient } from '../errors.js';
import { meetsThreshold } from '../project/config.js';

export type OnResult = (result: NodeResult, step: PlanStep) => void;

const BLOCKING: ReadonlySet<NodeStatus> = new Set(['error', 'fail', 'skipped']);

export interface ExecuteOptions {
  /** Runs unit-test steps (on its own in-memory database). */
  readonly units?: UnitRunner;
  /** Once aborted (SIGINT/SIGTERM), no new step starts: the rest end as skipped. */
  readonly signal?: AbortSignal;
  /** A step that fails with a transient error is run again from its start (steps are idempotent). */
  readonly retries?: { readonly attempts: number; readonly backoffMs: number };
  readonly onRetry?: (nodeId: NodeId, attempt: number, error: string, waitMs: number) => void;
  /** A step that will end in a result (not a skipped one) starts running. */
  readonly onStart?: (step: PlanStep) => void;
}

/**
 * Runs the plan on the adapter's connections, as many steps at once as there are connections and the DAG allows.
 * Never throws for a node's failure: each step that runs ends as a NodeResult (steps that pass straight
 * through, sources and ephemeral models, give none), and what waits on a failed step is skipped.
 */
export async function execute(plan: Plan, manifest: Manifest, adapter: Adapter, onResult: OnResult, opts: ExecuteOptions = {}): Promise<NodeResult[]> {
  const { units, signal, retries, onRetry, onStart } = opts;
  for (const sql of plan.setup) await adapter.sessions[0].exec(sql);
  const steps = plan.steps;
  const index = new Map(steps.map((s, i) => [s.nodeId, i]));
  const remaining = steps.map((s) => s.waitsFor.length);
  const dependents: number[][] = steps.map(() => []);
  steps.forEach((s, i) => s.waitsFor.forEach((w) => dependents[index.get(w)!].push(i)));
  const blockedBy = new Map<number, NodeId>();
  const ready: number[] = steps.map((_, i) => i).filter((i) => remaining[i] === 0);
  const results: NodeResult[] = [];
  let running = 0;
  let waiters: Array<() => void> = [];
  const wakeAll = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };

  const finish = (i: number, result: NodeResult) => {
    // One result per node that runs: sources and ephemeral models only pass their outcome on.
    if (steps[i].action.kind !== 'pass') {
      results.push(result);
      onResult(result, steps[i]);
    }
    for (const d of dependents[i]) {
      if (BLOCKING.has(result.status) && !blockedBy.has(d)) blockedBy.set(d, result.status === 'skipped' ? (blockedBy.get(i) ?? steps[i].nodeId) : steps[i].nodeId);
      if (--remaining[d] === 0) insertSorted(ready, d);
    }
    wakeAll();
  };

  const worker = async (session: Session) => {
    for (;;) {
      const i = ready.shift();
      if (i === undefined) {
        if (running === 0) {
          wakeAll(); // nothing runs and nothing is ready: every step has ended
          return;
        }
        await new Promise<void>((r) => waiters.push(r));
        continue;
      }
      if (signal?.aborted) {
        finish(i, { nodeId: steps[i].nodeId, status: 'skipped', startedAt: new Date().toISOString(), durationMs: 0, message: 'skipped: interrupted' });
        continue;
      }
      const cause = blockedBy.get(i);
      if (cause !== undefined) {
        finish(i, skipped(steps[i].nodeId, manifest.nodes[cause]?.name ?? cause));
        continue;
      }
      running++;
      if (steps[i].action.kind !== 'pass') onStart?.(steps[i]);
      let result = await runStep(steps[i], manifest, session, units, signal);
      for (let attempt = 1; retries && result.status === 'error' && result.transient && attempt < retries.attempts && !signal?.aborted; attempt++) {
        const waitMs = retries.backoffMs * 2 ** (attempt - 1);
        onRetry?.(steps[i].nodeId, attempt, result.error ?? '', waitMs);
        await new Promise((r) => setTimeout(r, waitMs));
        result = await runStep(steps[i], manifest, session, units, signal);
      }
      running--;
      // A node whose query the signal stopped: its error is the interruption, not DuckDB's "INTERRUPT Error".
      if (signal?.aborted && result.status === 'error' && /INTERRUPT/i.test(result.error ?? '')) result = { ...result, message: 'interrupted', error: 'interrupted before it finished' };
      finish(i, result);
    }
  };
  await Promise.all(adapter.sessions.map(worker));
  return results;
}

function skipped(nodeId: NodeId, cause: string): NodeResult {
  return { nodeId, status: 'skipped', startedAt: new Date().toISOString(), durationMs: 0, message: `skipped: upstream ${cause} did not succeed` };
}

function insertSorted(arr: number[], v: number): void {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  arr.splice(lo, 0, v);
}

async function runStep(step: PlanStep, manifest: Manifest, session: Session, units?: UnitRunner, signal?: AbortSignal): Promise<NodeResult & { transient?: boolean }> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const node = manifest.nodes[step.nodeId];
  const action = step.action;
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  if (action.kind === 'pass') return { nodeId: node.id, status: 'success', startedAt, durationMs: 0, message: 'nothing to build' };
  if (action.kind === 'fail') return { nodeId: node.id, status: 'error', startedAt, durationMs: 0, message: 'error', error: action.error };
  if (action.kind === 'unit') {
    if (!units || node.kind !== 'unit_test') throw new Error(`internal: no unit-test runner for ${node.id}`);
    const r = await units.run(node);
    return { nodeId: node.id, startedAt, durationMs: elapsed(), ...r };
  }
  if (action.kind === 'test') {
    let sql = action.sql;
    try {
      for (const p of action.prepare) await session.exec((sql = p));
      sql = action.sql;
      const rows = await session.query(sql);
      const failures = Number(rows[0]?.failures ?? 0);
      const status: NodeStatus =
        action.severity === 'error' && meetsThreshold(action.errorIf, failures) ? 'fail' : meetsThreshold(action.warnIf, failures) ? 'warn' : 'pass';
      const sample = status !== 'pass' && failures > 0 ? toSample(await session.queryDisplay((sql = action.sample))) : undefined;
      const message = failures === 0 ? 'passed' : `${failures} failing row${failures === 1 ? '' : 's'}`;
      return { nodeId: node.id, status, startedAt, durationMs: elapsed(), failures, sample, message };
    } catch (e) {
      return failed(node.id, startedAt, elapsed(), manifest, sql, e);
    }
  }
  let rows: number | undefined;
  const removed: { expired?: number; erased?: number } = {};
  let inTransaction = false;
  const hooks = new Set([...(action.preHooks ?? []), ...(action.postHooks ?? [])]);
  let written: Relation | undefined;
  for (const statement of [...(action.preHooks ?? []), ...action.statements, ...(action.postHooks ?? [])]) {
    const sql = typeof statement === 'string' ? statement : '';
    // SIGINT/SIGTERM between two statements (DuckDB's interrupt reaches only a query that is running): stop here.
    if (signal?.aborted) {
      if (inTransaction) await session.exec('rollback').catch(() => undefined);
      if (written) await session.exec(`drop table if exists ${quoteRelation(written)}`).catch(() => undefined);
      return { nodeId: node.id, status: 'error', startedAt, durationMs: elapsed(), message: 'interrupted', error: 'interrupted before it finished' };
    }
    try {
      if (typeof statement !== 'string') {
        if (statement.kind === 'file') fileOp(statement);
        else if (statement.kind === 'js') {
          rows = await runJsModel(session, statement);
          written = statement.target;
        }
        else if (statement.kind === 'upsert') rows = await upsert(session, statement);
        else if (statement.kind === 'microbatch') rows = (rows ?? 0) + (await microbatch(session, statement));
        else if (statement.kind === 'changed_rows') await changedRows(session, statement);
        else if (statement.kind === 'remove') removed[statement.reason] = (removed[statement.reason] ?? 0) + (await remove(session, statement));
        else await syncSchema(session, statement);
        continue;
      }
      const r = await session.exec(sql);
      if (r.rows !== undefined && !hooks.has(sql)) rows = r.rows;
      if (sql === 'begin transaction') inTransaction = true;
      if (sql === 'commit') inTransaction = false;
    } catch (e) {
      if (inTransaction) await session.exec('rollback').catch(() => undefined);
      // A JavaScript model's filled temporary table, left by a later statement that failed (its retention, say).
      if (written && !(e instanceof JsModelError)) await session.exec(`drop table if exists ${quoteRelation(written)}`).catch(() => undefined);
      if (e instanceof JsModelError) {
        await session.exec(`drop table if exists ${quoteRelation((statement as { target: Relation }).target)}`).catch(() => undefined);
        const error = redact(formatDiagnostic({ severity: 'error', file: node.origin.file, line: e.line, message: e.message }));
        return { nodeId: node.id, status: 'error', startedAt, durationMs: elapsed(), message: 'error', error };
      }
      return failed(node.id, startedAt, elapsed(), manifest, sql, e);
    }
  }
  return { nodeId: node.id, status: 'success', startedAt, durationMs: elapsed(), rows, ...removed, message: action.verb };
}

/** Deletes a node's expired rows, or its erased subjects' rows; an error says which of the two failed. */
async function remove(session: Session, r: Removal): Promise<number> {
  try {
    return (await session.exec(r.sql)).rows ?? 0;
  } catch (e) {
    const message = (e as Error).message;
    // The field's type is known only here: a text or number column cannot be aged (epoch_us takes dates and times).
    const type = r.reason === 'expired' ? /epoch_us\(([A-Z][A-Z0-9_ ]*(?:\([^)]*\))?)\)/.exec(message)?.[1] : undefined;
    if (type && !/^(DATE|TIMESTAMP)/.test(type)) {
      throw new Error(`retention: field ${r.field} is ${type}; retention needs a DATE, TIMESTAMP or TIMESTAMPTZ column (cast it in the model, e.g. ${r.field}::date in SQL)`);
    }
    throw new Error(`${r.reason === 'expired' ? 'retention' : 'erasing the subjects in eider.erasures again'}: ${message}`);
  }
}

/** A relation's column names, as DESCRIBE gives them. */
async function columnNames(session: Session, relation: string): Promise<string[]> {
  return (await session.query(`select column_name as c from (describe ${relation})`)).map((r) => String(r.c));
}

async function changedRows(session: Session, c: ChangedRows): Promise<void> {
  const target = quoteRelation(c.target);
  const have = new Set((await columnNames(session, target)).map((n) => n.toLowerCase()));
  const shared = (await columnNames(session, c.incoming)).filter((n) => have.has(n.toLowerCase())).map(quoteIdent).join(', ');
  const keys = c.keys.map(quoteIdent).join(', ');
  await session.exec(`create or replace temp table ${c.into} as select ${keys} from (select ${shared} from ${c.incoming} except select ${shared} from ${target} where is_current)`);
}

async function upsert(session: Session, u: Upsert): Promise<number | undefined> {
  const target = quoteRelation(u.target);
  const cols = async (rel: string) => new Set((await columnNames(session, rel)).map((n) => n.toLowerCase()));
  const [have, incoming] = [await cols(target), await cols(u.incoming)];
  const on = u.keys.map((k) => `t.${quoteIdent(k)} = i.${quoteIdent(k)}`).join(' and ');
  if (have.size === incoming.size && [...have].every((c) => incoming.has(c))) {
    await session.exec(`delete from ${target} as t using ${u.incoming} as i where ${on}`);
    return (await session.exec(`insert into ${target} by name select * from ${u.incoming}`)).rows;
  }
  return (await session.exec(`merge into ${target} as t using ${u.incoming} as i on (${on}) when matched then update by name when not matched then insert by name`)).rows;
}

/** Each batch window's rows are replaced in one transaction; the windows come from the table's newest event time or the window asked for. */
async function microbatch(session: Session, m: MicroBatch): Promise<number> {
  const target = quoteRelation(m.target);
  const et = quoteIdent(m.eventTime);
  let lo: Date;
  if (m.start) lo = floorTo(new Date(m.start), m.batchSize);
  else {
    const [r] = await session.query(`select max(${et}) as newest from ${target}`);
    const newest = r?.newest ? new Date(r.newest as Date) : m.begin ? new Date(m.begin) : undefined;
    if (!newest) {
      const [s] = await session.query(`select min(${et}) as oldest from (\n${m.sql}\n) as e`);
      if (!s?.oldest) return 0;
      lo = floorTo(new Date(s.oldest as Date), m.batchSize);
    } else lo = step(floorTo(newest, m.batchSize), m.batchSize, -m.lookback);
  }
  // Up to now, but no further than the newest event the model returns: no empty batches for stale inputs.
  let hi = m.end ? new Date(m.end) : step(floorTo(new Date(m.now), m.batchSize), m.batchSize, 1);
  if (!m.end) {
    const [r] = await session.query(`select max(${et}) as newest from (\n${m.sql}\n) as e`);
    if (!r?.newest) return 0;
    const last = step(floorTo(new Date(r.newest as Date), m.batchSize), m.batchSize, 1);
    if (last < hi) hi = last;
  }
  let rows = 0;
  for (let a = lo; a < hi; a = step(a, m.batchSize, 1)) {
    const b = step(a, m.batchSize, 1) < hi ? step(a, m.batchSize, 1) : hi;
    const window = `${et} >= ${quoteLiteral(a.toISOString())}::timestamptz::timestamp and ${et} < ${quoteLiteral(b.toISOString())}::timestamptz::timestamp`;
    await session.exec('begin transaction');
    try {
      await session.exec(`delete from ${target} where ${window}`);
      rows += (await session.exec(`insert into ${target} by name select * from (\n${m.sql}\n) as e where ${window}`)).rows ?? 0;
      await session.exec('commit');
    } catch (e) {
      await session.exec('rollback').catch(() => undefined);
      throw new Error(`batch ${a.toISOString()} .. ${b.toISOString()}: ${(e as Error).message}`);
    }
  }
  return rows;
}

function floorTo(d: Date, size: MicroBatch['batchSize']): Date {
  const x = new Date(d);
  if (size === 'month') return new Date(Date.UTC(x.getUTCFullYear(), x.getUTCMonth(), 1));
  if (size === 'day') return new Date(Date.UTC(x.getUTCFullYear(), x.getUTCMonth(), x.getUTCDate()));
  return new Date(Date.UTC(x.getUTCFullYear(), x.getUTCMonth(), x.getUTCDate(), x.getUTCHours()));
}

function step(d: Date, size: MicroBatch['batchSize'], n: number): Date {
  if (size === 'month') return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1));
  return new Date(d.getTime() + n * (size === 'day' ? 86400e3 : 3600e3));
}

/** External files: written beside the final path, then renamed into place (a folder via a second name, removed after). */
function fileOp(f: FileOp): void {
  if (f.op === 'prepare') prepareStaged(f.path, f.staged);
  else if (f.op === 'replace') replaceWithStaged(f.path, f.staged);
  // 'publish': moved into place by the release's publish, once every node and test passed.
}

/**
 * on_schema_change: compares the incoming rows' columns with the table's and reconciles them — ignore drops
 * new columns from the incoming rows, append_new_columns adds them to the table, sync_all_columns also drops
 * the table's columns that are gone and changes types, fail lists the differences and stops.
 */
async function syncSchema(session: Session, s: SchemaSync): Promise<void> {
  const describe = async (rel: string) => (await session.query(`select column_name as name, column_type as type from (describe ${rel})`)).map((r) => ({ name: String(r.name), type: String(r.type) }));
  const target = quoteRelation(s.target);
  const have = await describe(target);
  const incoming = await describe(s.incoming);
  const find = (cols: typeof have, name: string) => cols.find((c) => c.name.toLowerCase() === name.toLowerCase());
  const added = incoming.filter((c) => !find(have, c.name));
  const removed = have.filter((c) => !find(incoming, c.name));
  const changed = incoming.filter((c) => find(have, c.name) && find(have, c.name)!.type !== c.type);
  if (added.length + removed.length + changed.length === 0) return;
  const describeChange = [
    ...added.map((c) => `new column ${c.name} ${c.type}`),
    ...removed.map((c) => `column ${c.name} is gone`),
    ...changed.map((c) => `column ${c.name} is ${c.type}, was ${find(have, c.name)!.type}`),
  ].join('; ');
  switch (s.mode) {
    case 'fail':
      throw new Error(`model ${s.model}: the columns changed and on_schema_change is fail: ${describeChange}`);
    case 'ignore':
      for (const c of added) await session.exec(`alter table ${s.incoming} drop column ${quoteIdent(c.name)}`);
      return;
    case 'append_new_columns':
      for (const c of added) await session.exec(`alter table ${target} add column ${quoteIdent(c.name)} ${c.type}`);
      return;
    case 'sync_all_columns':
      for (const c of added) await session.exec(`alter table ${target} add column ${quoteIdent(c.name)} ${c.type}`);
      for (const c of removed) await session.exec(`alter table ${target} drop column ${quoteIdent(c.name)}`);
      for (const c of changed) await session.exec(`alter table ${target} alter column ${quoteIdent(c.name)} type ${c.type}`);
      return;
  }
}

/** Failing rows for the console and run_results.json, secrets redacted. */
function toSample(t: { columns: string[]; rows: string[][] }): NodeResult['sample'] {
  return { columns: t.columns, rows: t.rows.map((r) => r.map(redact)) };
}

function failed(nodeId: NodeId, startedAt: string, durationMs: number, manifest: Manifest, sql: string, e: unknown): NodeResult & { transient?: boolean } {
  const raw = String((e as Error).message ?? e);
  const located = locateSqlError(manifest.root, manifest.nodes[nodeId], sql, raw);
  const error = redact(formatDiagnostic({ severity: 'error', ...located }));
  return { nodeId, status: 'error', startedAt, durationMs, message: 'error', error, transient: isTransient(raw) };
}
