import { existsSync } from 'node:fs';
import { basename, relative } from 'node:path';
import { passesThrough } from '../plan/plan.js';
import type { Node, TargetDef } from '../types.js';
import { formatBytes, measure, sizeRatio, type FileSize } from '../publish/compact.js';
import { openInPlace } from '../publish/in-place.js';
import { holdsSecret } from '../secrets.js';
import { databaseKind } from '../adapter/databases.js';
import { EIDER_VERSION } from '../version.js';
import { compileContext, type GlobalOptions } from './context.js';
import type { AlertsConfig } from '../operate/alerts.js';

/** `debug`: the project compiles, the profile resolves, and the target file opens. */
export async function debugCommand(opts: GlobalOptions): Promise<number> {
  const { def, manifest, reporter } = await compileContext(opts);
  const t = def.target;
  // A path read from the environment is a secret: shown whole, so the reporter redacts it.
  const local = databaseKind(t.path) === 'file';
  const show = (path: string) => (databaseKind(path) !== 'file' || holdsSecret(path) ? path : relative(def.root, path));
  const shown = show(t.path);
  reporter.line(`eider version:  ${EIDER_VERSION}`);
  reporter.line(`project:        ${def.name} (${def.root})`);
  reporter.line(`profile:        ${t.profile}`);
  reporter.line(`target:         ${t.name}`);
  reporter.line(`${local ? 'database file: ' : 'database:     '}  ${shown}${local && !existsSync(t.path) ? ' (not created yet)' : ''}`);
  if (t.extensions?.length) reporter.line(`extensions:     ${t.extensions.join(', ')}`);
  for (const a of t.attach ?? []) reporter.line(`attached:       ${a.alias} = ${show(a.path)}${a.readOnly ? ' (read-only)' : ''}`);
  reporter.line(`threads:        ${t.threads}`);
  reporter.line(`nodes:          ${nodeCount(Object.values(manifest.nodes))}`);
  if (def.alerts.rules.length + def.alerts.channels.length > 0) reporter.line(`alerts:         ${describeAlerts(def.alerts)}`);
  // eider attaches the file under its own catalog name; a reader opening it directly gets one named after its stem.
  const stem = basename(t.path).replace(/\.[^.]*$/, '').toLowerCase();
  const clash = Object.values(manifest.nodes).some((n) => 'relation' in n && n.relation?.schema.toLowerCase() === stem);
  if (local && clash) {
    reporter.line(`note: a reader that opens ${basename(t.path)} directly sees its catalog named "${stem}", like the schema ${stem}, and DuckDB finds ${stem}.<name> ambiguous there; such readers should attach it under another name: ATTACH '${shown}' AS wh (READ_ONLY)`);
  }
  const existed = t.path !== ':memory:' && existsSync(t.path);
  const adapter = await openInPlace(t, 1);
  try {
    reporter.line(`duckdb:         ${await adapter.version()}`);
    if (existed) reporter.line(`file size:      ${fileSizeLine(await measure(adapter.sessions[0], t.path), t.compact)}`);
  } finally {
    await adapter.close();
  }
  reporter.line('All checks passed.');
  return 0;
}

/** `8.4 MiB, its data uses 4.7 MiB (1.79×; a build compacts it past 1.5×)` */
function fileSizeLine(size: FileSize, policy: TargetDef['compact']): string {
  const every = policy.every > 0 ? `, and every ${policy.every} builds` : '';
  return `${formatBytes(size.fileBytes)}, its data uses ${formatBytes(size.usedBytes)} (${sizeRatio(size).toFixed(2)}×; a build compacts it past ${policy.threshold}×${every})`;
}

/** The nodes a full build runs, as its progress counter counts them; then those that never run. */
function nodeCount(nodes: readonly Node[]): string {
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const sources = nodes.filter((n) => n.kind === 'source').length;
  const ephemeral = nodes.filter(passesThrough).length - sources;
  const rest = [sources > 0 ? plural(sources, 'source') : '', ephemeral > 0 ? plural(ephemeral, 'ephemeral model') : ''].filter(Boolean);
  return `${nodes.length - sources - ephemeral}${rest.length > 0 ? ` (and ${rest.join(', ')}, which never run)` : ''}`;
}

/** `2 rules; channels: team-slack (slack, on), mail (email, off: smtp.host or to is empty)`: which channels would send. */
function describeAlerts(a: AlertsConfig): string {
  const off = (c: AlertsConfig['channels'][number]) => (c.type === 'email' ? 'smtp.host or to is empty' : 'its url is empty');
  const channels = a.channels.map((c) => `${c.name} (${c.type}, ${c.enabled ? 'on' : `off: ${off(c)}`})`);
  return `${a.rules.length} rule${a.rules.length === 1 ? '' : 's'}; ${channels.length > 0 ? `channels: ${channels.join(', ')}` : 'no channels'}`;
}
