import { hasFreshness, measureFreshness } from '../execute/freshness.js';
import { select } from '../graph/select.js';
import type { SourceNode } from '../types.js';
import { EIDER_VERSION } from '../version.js';
import { compileContext, type GlobalOptions, type ProjectContext, type SelectOptions } from './context.js';

/** `freshness`: compile → select sources → measure their newest loads → table + target/sources.json. Exit 1 on an error-level breach. */
export async function freshnessCommand(opts: GlobalOptions & SelectOptions): Promise<number> {
  const ctx = await compileContext(opts);
  const selected = select(ctx.manifest, ctx.dag, opts.select, opts.exclude);
  return (await sourceFreshness(ctx, selected)) ? 0 : 1;
}

/** Checks the selected sources that declare freshness; prints the table and writes sources.json. True when none is stale at error level. */
export async function sourceFreshness(ctx: ProjectContext, selected: ReadonlySet<string>): Promise<boolean> {
  const { manifest, dag, artifacts, reporter } = ctx;
  const sources = dag.order.map((id) => manifest.nodes[id]).filter((n): n is SourceNode => n.kind === 'source' && selected.has(n.id) && hasFreshness(n));
  if (sources.length === 0) {
    reporter.line('No selected source declares freshness (freshness: {warn_after/error_after} with loaded_at_field, or a file path).');
    return true;
  }
  const results = await measureFreshness(manifest.target, sources);
  reporter.freshness(results);
  artifacts.sources(results, manifest, EIDER_VERSION);
  return !results.some((r) => r.status === 'error' || r.status === 'runtime error');
}
