import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { databaseKind } from '../adapter/databases.js';
import { DuckDbAdapter } from '../adapter/duckdb.js';
import { UsageError } from '../errors.js';
import type { FreshnessResult } from '../execute/freshness.js';
import { formatAge } from '../report/console.js';
import type { Dag } from '../graph/dag.js';
import { select, type SelectMethods } from '../graph/select.js';
import { HISTORY_SCHEMA } from '../publish/history.js';
import { makeReporter } from '../report/reporter.js';
import { redact } from '../secrets.js';
import { quoteLiteral, type Manifest, type NodeId, type NodeResult, type Period, type RunResult, type TargetDef } from '../types.js';
import { deliver, type AlertMessage } from './alerts/channels.js';
import type { AlertChannel, AlertRule, AlertsConfig } from './alerts/config.js';
import { readAlertState, writeAlertState, type OpenAlert } from './alerts/state.js';

export type { AlertsConfig } from './alerts/config.js';

/** What alerting needs of a project: its name, its target/ folder and `alerts:` (a ProjectDef is one). */
export interface AlertProject {
  readonly name: string;
  readonly paths: { readonly target: string };
  readonly alerts: AlertsConfig;
}

/** A rule's verdict on one thing a run looked at: firing, or seen fine (which resolves an open alert). */
interface Observation {
  readonly rule: AlertRule;
  /** A node's unique id, or `schedule:<name>` for run_skipped. */
  readonly node?: string;
  readonly firing: boolean;
  readonly message: string;
}

/** A compiled project's alerting for one run: built before the run (a bad rule selector is exit 2 then). */
export interface RunAlerts {
  /**
   * build/run/test/seed/snapshot: alerts from the run's node results. `failure` is what failed the run beyond its
   * nodes (an on_run_end hook); a run without one clears the run-level run_failed of its command.
   */
  run(run: RunResult, failure?: string): Promise<void>;
  /** A run that stopped before it had results (on_run_start failed, an unexpected error): run_failed for the run. */
  runFailed(command: string, message: string): Promise<void>;
  /** freshness (and build's --fail-on-stale-sources): alerts from the freshness results. */
  freshness(results: readonly FreshnessResult[]): Promise<void>;
}

interface AlertContext {
  readonly def: { readonly root: string } & AlertProject;
  readonly manifest: Manifest;
  readonly dag: Dag;
  readonly selectMethods: SelectMethods;
  readonly reporter: { warning(message: string): void };
}

/** Undefined when the run sends no alerts (`--no-alerts`, or no rules). */
export function runAlerts(ctx: AlertContext, enabled: boolean): RunAlerts | undefined {
  const { def, manifest, dag } = ctx;
  if (!enabled || def.alerts.rules.length === 0) return undefined;
  const scopes = new Map<AlertRule, ReadonlySet<NodeId>>();
  for (const rule of def.alerts.rules) {
    if (!rule.select) continue;
    try {
      scopes.set(rule, select(manifest, dag, rule.select, undefined, `alert rule "${rule.name}" select`, ctx.selectMethods));
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      throw new UsageError(e.diagnostics.map((d) => ({ ...d, file: d.file ?? rule.file, line: d.line ?? rule.line })));
    }
  }
  const rules = (on: AlertRule['on']) => def.alerts.rules.filter((r) => r.on === on);
  // A whole run's failure concerns every node: it goes to the run_failed rules that select none.
  const runRules = () => rules('run_failed').filter((r) => !r.select);
  const inScope = (rule: AlertRule, id: NodeId) => scopes.get(rule)?.has(id) ?? true;
  // One warning for the whole run, however many of its deliveries fail.
  let warned = false;
  const warnOnce = (m: string) => {
    if (!warned) ctx.reporter.warning(m);
    warned = true;
  };
  const send = (observations: readonly Observation[]) => raiseAndResolve(join(def.root, def.paths.target), def, manifest.target.name, observations, warnOnce);
  return {
    run: async (run, failure) => {
      const observations: Observation[] = runRules().map((rule) => runObservation(rule, run.command, failure));
      for (const rule of def.alerts.rules) {
        for (const r of run.results) {
          if (!manifest.nodes[r.nodeId] || !inScope(rule, r.nodeId)) continue;
          const o = resultObservation(rule, manifest, r);
          if (o) observations.push(o);
        }
      }
      for (const rule of rules('slow_model')) {
        const built = run.results.filter((r) => r.status === 'success' && manifest.nodes[r.nodeId]?.kind === 'model' && inScope(rule, r.nodeId));
        if (built.length === 0) continue;
        const medians = await medianDurations(manifest.target, manifest.invocationId, rule.runs);
        for (const r of built) {
          const median = medians.get(r.nodeId);
          if (median !== undefined) observations.push(slowObservation(rule, manifest, r, median));
        }
      }
      observations.push(...goneNodes(readAlertState(join(def.root, def.paths.target), manifest.target.name).open, def.alerts.rules, manifest));
      await send(observations);
    },
    runFailed: (command, message) => send(runRules().map((rule) => runObservation(rule, command, message))),
    freshness: async (results) => {
      const observations = rules('freshness').flatMap((rule) => results.filter((r) => inScope(rule, r.nodeId)).flatMap((r) => freshnessObservation(rule, r) ?? []));
      await send(observations);
    },
  };
}

/**
 * `eider schedule`: a due run of `schedule` was skipped because another run held `target`. Fires each
 * `on: run_skipped` rule once per schedule and target until `resolveRunSkipped` (the schedule's next run).
 */
export async function alertRunSkipped(projectDir: string, project: AlertProject, target: string, schedule: string, reason: string, warn: (message: string) => void = warnOnStderr): Promise<void> {
  const observations = project.alerts.rules.filter((r) => r.on === 'run_skipped').map((rule) => ({ rule, node: `schedule:${schedule}`, firing: true, message: `scheduled run "${schedule}" on ${target} was skipped: ${reason}` }));
  await raiseAndResolve(join(projectDir, project.paths.target), project, target, observations, warn);
}

/** `eider schedule`: a run of `schedule` on `target` started; an open run_skipped alert of it resolves. */
export async function resolveRunSkipped(projectDir: string, project: AlertProject, target: string, schedule: string, warn: (message: string) => void = warnOnStderr): Promise<void> {
  const observations = project.alerts.rules.filter((r) => r.on === 'run_skipped').map((rule) => ({ rule, node: `schedule:${schedule}`, firing: false, message: `scheduled run "${schedule}" on ${target} ran` }));
  await raiseAndResolve(join(projectDir, project.paths.target), project, target, observations, warn);
}

function warnOnStderr(message: string): void {
  makeReporter().warning(message);
}

const firstLine = (s: string | undefined) => (s ?? '').split('\n')[0];

/** run_failed of a whole run (node `run:<command>`): what failed it beyond its nodes, or nothing (it clears). */
function runObservation(rule: AlertRule, command: string, failure: string | undefined): Observation {
  return { rule, node: `run:${command}`, firing: failure !== undefined, message: failure !== undefined ? `eider ${command} failed: ${failure}` : `eider ${command} finished` };
}

/** run_failed, test_failed, test_warn: a node's result fires the rule, or shows the condition cleared. */
function resultObservation(rule: AlertRule, m: Manifest, r: NodeResult): Observation | undefined {
  const node = m.nodes[r.nodeId];
  const isTest = node.kind === 'test' || node.kind === 'unit_test';
  const what = `${node.kind === 'unit_test' ? 'unit test' : node.kind} ${node.name}`;
  const seen = (firing: boolean, message: string): Observation => ({ rule, node: r.nodeId, firing, message });
  switch (rule.on) {
    case 'run_failed':
      if (r.status === 'error') return seen(true, `${what} errored: ${firstLine(r.error ?? r.message)}`);
      return r.status === 'skipped' ? undefined : seen(false, `${what}: ${r.status}`);
    case 'test_failed':
      if (!isTest || r.status === 'error' || r.status === 'skipped') return undefined;
      return seen(r.status === 'fail', r.status === 'fail' ? `${what} failed${r.failures !== undefined ? ` with ${r.failures} failing row${r.failures === 1 ? '' : 's'}` : ''}` : `${what} passes`);
    case 'test_warn':
      if (!isTest || r.status === 'error' || r.status === 'skipped') return undefined;
      return seen(r.status === 'warn', r.status === 'warn' ? `${what} warned${r.failures !== undefined ? ` with ${r.failures} failing row${r.failures === 1 ? '' : 's'}` : ''}` : `${what} passes`);
    default:
      return undefined;
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

function slowObservation(rule: AlertRule, m: Manifest, r: NodeResult, median: number): Observation {
  const percent = Math.round((r.durationMs / median) * 100);
  const firing = r.durationMs > (median * rule.threshold) / 100;
  return { rule, node: r.nodeId, firing, message: `model ${m.nodes[r.nodeId].name} took ${seconds(r.durationMs)}, ${percent}% of its median ${seconds(median)} over its last ${rule.runs} successful runs (threshold ${rule.threshold}%)` };
}

const period = (p: Period | undefined) => (p ? `${p.count} ${p.period}${p.count === 1 ? '' : 's'}` : undefined);

function freshnessObservation(rule: AlertRule, r: FreshnessResult): Observation | undefined {
  if (r.status === 'runtime error') return undefined;
  const firing = r.status !== 'pass';
  const after = r.status === 'error' ? period(r.criteria.errorAfter) : period(r.criteria.warnAfter);
  const age = r.ageMs !== undefined ? `is ${formatAge(r.ageMs)} old` : `cannot be measured (${r.error ?? 'no data'})`;
  const message = firing ? `${r.source} ${age}: stale at ${r.status} level${after ? ` (${r.status} after ${after})` : ''}` : `${r.source} is fresh again${r.ageMs !== undefined ? ` (${formatAge(r.ageMs)} old)` : ''}`;
  return { rule, node: r.nodeId, firing, message };
}

/** Runs with fewer earlier successful runs than this have no median to compare with. */
const MIN_RUNS = 3;

/**
 * Each model's median duration over its last `runs` successful runs before this invocation, from the target's
 * `eider.node_runs`, read-only. A target that cannot be read (held by a writer, no history yet) gives none.
 */
async function medianDurations(target: TargetDef, invocationId: string, runs: number): Promise<Map<NodeId, number>> {
  if (databaseKind(target.path) !== 'file' || !existsSync(target.path)) return new Map();
  try {
    const adapter = await DuckDbAdapter.open({ path: target.path, threads: 1, readOnly: true });
    try {
      const rows = await adapter.sessions[0].query(
        `select node_id, median(duration_ms) as ms, count(*) as n from (select node_id, duration_ms, row_number() over (partition by node_id order by started_at desc) as k from ${HISTORY_SCHEMA}.node_runs where status = 'success' and invocation_id <> ${quoteLiteral(invocationId)}) where k <= ${runs} group by node_id having count(*) >= ${Math.min(MIN_RUNS, runs)}`,
      );
      return new Map(rows.map((r) => [String(r.node_id), Number(r.ms)] as const));
    } finally {
      await adapter.close();
    }
  } catch {
    return new Map();
  }
}

const keyOf = (rule: string, target: string, node: string | undefined) => `${rule}|${target}|${node ?? ''}`;

/**
 * Dedupe and resolve: a firing condition with no open alert opens one and is sent; an open alert whose condition
 * is seen cleared is sent as resolved and closed. An alert every channel failed to take is sent again next time.
 * Delivery failures are one call of `warn`; they never throw.
 */
/**
 * An open alert on a node the project no longer has (a test or model deleted, renamed or disabled) can never be seen
 * fine again: it resolves, saying why, at the next run.
 */
function goneNodes(open: readonly OpenAlert[], rules: readonly AlertRule[], manifest: Manifest): Observation[] {
  return open.flatMap((a) => {
    const rule = rules.find((r) => r.name === a.rule);
    if (!rule || !a.node_id || !/^(model|seed|snapshot|test|unit_test)\./.test(a.node_id) || manifest.nodes[a.node_id]) return [];
    return [{ rule, node: a.node_id, firing: false, message: `${a.node_id} is no longer in the project` }];
  });
}

async function raiseAndResolve(targetDir: string, project: AlertProject, target: string, observations: readonly Observation[], warn: (m: string) => void): Promise<void> {
  if (observations.length === 0) return;
  const state = readAlertState(targetDir, target);
  const open = new Map(state.open.map((a) => [a.key, a]));
  const now = new Date().toISOString();
  const sends: Array<{ key: string; msg: AlertMessage; channels: AlertChannel[] }> = [];
  let changed = false;
  for (const o of observations) {
    const key = keyOf(o.rule.name, target, o.node);
    const current = open.get(key);
    const channels = routes(project.alerts, o.rule);
    const msg: AlertMessage = { rule: o.rule.name, severity: o.rule.severity, status: o.firing ? 'firing' : 'resolved', target, node: o.node ?? null, message: redact(o.message), time: now, project: project.name };
    if (o.firing && (!current || (!current.last_sent_at && channels.length > 0))) {
      open.set(key, { key, rule: o.rule.name, severity: o.rule.severity, target, ...(o.node ? { node_id: o.node } : {}), message: msg.message, opened_at: current?.opened_at ?? now });
      sends.push({ key, msg, channels });
      changed = true;
    } else if (!o.firing && current) {
      open.delete(key);
      sends.push({ key, msg, channels });
      changed = true;
    }
  }
  const failures: string[] = [];
  await Promise.all(
    sends.map(async ({ key, msg, channels }) => {
      const sent = await Promise.all(
        channels.map((c) =>
          deliver(c, msg).then(
            () => true,
            (e: unknown) => (failures.push(`${c.name} (${(e as Error).message})`), false),
          ),
        ),
      );
      const alert = open.get(key);
      if (alert && msg.status === 'firing' && sent.some(Boolean)) open.set(key, { ...alert, last_sent_at: new Date().toISOString() });
    }),
  );
  if (changed) {
    try {
      writeAlertState(targetDir, target, { schema_version: 1, open: [...open.values()] });
    } catch (e) {
      failures.push(`the alert state (${(e as NodeJS.ErrnoException).code ?? 'not written'})`);
    }
  }
  if (failures.length > 0) {
    warn(redact(`could not deliver ${failures.length} alert${failures.length === 1 ? '' : 's'}: ${[...new Set(failures)].join(', ')}`));
  }
}

/** The channels a rule's alerts go to: those it names (or all), that are on and receive its severity. */
function routes(config: AlertsConfig, rule: AlertRule): AlertChannel[] {
  return config.channels.filter((c) => c.enabled && c.severities.includes(rule.severity) && (!rule.channels || rule.channels.includes(c.name)));
}

export type { OpenAlert };
