import { existsSync } from 'node:fs';
import { hasFreshness, measureFreshness, type FreshnessResult } from '../execute/freshness.js';
import { HISTORY_DDL, HISTORY_SCHEMA } from '../publish/history.js';
import { openUnlessRead, shownPath } from '../publish/in-place.js';
import { select } from '../graph/select.js';
import { makeReporter, type LogFormat } from '../report/reporter.js';
import { quoteLiteral, type Manifest, type ModelNode, type SourceNode } from '../types.js';
import { EIDER_VERSION } from '../version.js';
import { runAlerts, type RunAlerts } from '../operate/alerts.js';
import { compileContext, resultsFolder, type GlobalOptions, type ProjectContext, type SelectOptions } from './context.js';

/** `freshness`: compile → select sources and models → measure their newest loads and builds → table + target/sources.json. Exit 1 on an error-level breach. */
export async function freshnessCommand(opts: GlobalOptions & SelectOptions & { readonly logFormat?: LogFormat; readonly alerts?: boolean }): Promise<number> {
  const ctx = await compileContext(opts, makeReporter(opts.logFormat));
  const selected = select(ctx.manifest, ctx.dag, opts.select, opts.exclude, '--select', ctx.selectMethods);
  const code = (await sourceFreshness(ctx, selected, true, runAlerts(ctx, opts.alerts !== false))) ? 0 : 1;
  ctx.reporter.exit(code);
  return code;
}

/** Checks the selected sources that declare freshness; prints the table, writes sources.json and sends alerts. True when none is stale at error level. */
export async function sourceFreshness(ctx: ProjectContext, selected: ReadonlySet<string>, withModels = false, alerts?: RunAlerts): Promise<boolean> {
  const { manifest, dag, artifacts, reporter } = ctx;
  const picked = dag.order.map((id) => manifest.nodes[id]).filter((n) => selected.has(n.id));
  const sources = picked.filter((n): n is SourceNode => n.kind === 'source' && hasFreshness(n));
  const models = withModels ? picked.filter((n): n is ModelNode => n.kind === 'model' && Boolean(n.freshness)) : [];
  if (sources.length + models.length === 0) {
    reporter.line('No selected source or model declares freshness (freshness: {warn_after/error_after} with loaded_at_field, or a file path).');
    return true;
  }
  const results = await measureFreshness(manifest.target, sources, models);
  reporter.freshness(results);
  artifacts.sources(results, manifest, EIDER_VERSION);
  await recordFreshness(manifest, results, (m) => reporter.diagnostics([{ severity: 'warning', message: m }]));
  await alerts?.freshness(results);
  return !results.some((r) => r.status === 'error' || r.status === 'runtime error');
}

/**
 * Appends the results to `eider.freshness_results` of an in-place target. A swap-published target (prod)
 * is never opened for writing outside a build, so its freshness lives in target/sources.json; so does that of a
 * dev file a reader holds open (DuckDB lets no process write it then), with a warning.
 */
async function recordFreshness(manifest: Manifest, results: readonly FreshnessResult[], warn: (message: string) => void): Promise<void> {
  const t = manifest.target;
  if (t.publish !== 'in_place' || t.path === ':memory:' || !existsSync(t.path)) return;
  const opened = await openUnlessRead({ ...t, threads: 1 }, warn);
  if (!('adapter' in opened)) {
    await opened.hold.close();
    warn(`${shownPath(t.path, t)} is open in another process (${opened.heldBy}): these results are in target/sources.json but not in ${HISTORY_SCHEMA}.freshness_results`);
    return;
  }
  const { adapter } = opened;
  try {
    const lit = (v: string | number | null | undefined) => (v === null || v === undefined ? 'null' : typeof v === 'number' ? String(v) : quoteLiteral(v));
    const now = new Date().toISOString();
    for (const sql of HISTORY_DDL) await adapter.sessions[0].exec(sql);
    await adapter.sessions[0].exec(
      `insert into ${HISTORY_SCHEMA}.freshness_results values ${results
        .map((r) => `(${[manifest.invocationId, r.nodeId, now, r.newest?.toISOString(), r.ageMs === undefined ? null : Math.round(r.ageMs / 1000), r.status].map(lit).join(', ')})`)
        .join(', ')}`,
    );
  } finally {
    await adapter.close();
  }
}
