import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { relationKey, type WarehouseState } from '../adapter/adapter.js';
import { databaseKind, DEFER_CATALOG, shownPath } from '../adapter/databases.js';
import { UsageError, usageError, type Diagnostic } from '../errors.js';
import { relation, type Manifest, type NodeId, type Relation, type TargetDef } from '../types.js';
import { loadStateManifest, type StateManifest } from './load.js';

/** `--defer`, `--state DIR`, `--defer-target NAME` as commands receive them. */
export interface DeferOptions {
  readonly defer?: boolean;
  readonly state?: string;
  readonly deferTarget?: string;
}

/** What `--defer` reads: an earlier run's manifest (where each relation is) and the target whose file holds them. */
export interface Deferral {
  readonly state: StateManifest;
  readonly target: TargetDef;
}

/**
 * Checks `--defer`'s flags and the deferred target: the profile's target named by `--defer-target`, or by the
 * state manifest. `current` is the target this run builds; `profileTarget` reads another target of its profile.
 * Every mistake is exit 2. Undefined without `--defer`.
 */
export function resolveDeferral(opts: DeferOptions, current: TargetDef, profileTarget: (name: string, via: string) => TargetDef): Deferral | undefined {
  if (!opts.defer) {
    if (opts.deferTarget !== undefined) throw usageError('--defer-target is only read with --defer');
    return undefined;
  }
  if (opts.state === undefined) throw usageError('--defer needs --state DIR: the target/ folder of a production run (e.g. a copy of prod\'s), whose manifest.json says where each relation is');
  const state = loadStateManifest(opts.state);
  const name = opts.deferTarget ?? state.json.target?.name;
  if (typeof name !== 'string') throw usageError('--defer: the state manifest names no target: give --defer-target', state.path);
  const via = opts.deferTarget !== undefined ? `--defer-target ${name}` : `--defer (target "${name}" of ${state.path})`;
  const target = profileTarget(name, via);
  if (target.name === current.name) throw usageError(`${via}: that is the target this command builds; defer to another target (usually prod)`);
  const kind = databaseKind(target.path);
  if (kind !== 'file') throw usageError(`${via}: target "${name}" is ${kind === 'memory' ? 'in memory' : kind === 'motherduck' ? 'a MotherDuck database' : 'a DuckLake catalog'}: --defer attaches a local DuckDB file`);
  if (!existsSync(target.path)) throw usageError(`${via}: target "${name}" has no database file (${shownPath(target.path, target)}): build it, or put its file there (e.g. download it) first`);
  if (resolve(target.path) === resolve(current.path)) throw usageError(`${via}: target "${name}" has the same file as target "${current.name}"`);
  return { state, target };
}

/** The target as a deferred run opens it: with the deferred target's database attached read-only as `eider_defer`. */
export function withDeferredAttach(target: TargetDef, d: Deferral): TargetDef {
  return { ...target, attach: [...(target.attach ?? []), { alias: DEFER_CATALOG, path: d.target.path, readOnly: true }] };
}

/**
 * The nodes a run reads but neither builds (`built`) nor finds in its target (`present`), each with its relation
 * in the deferred target, as the state manifest names it. `reading`: the nodes the run executes; an ephemeral
 * model is inlined, so what it reads counts. A node the state manifest lacks is exit 2.
 */
export function deferredRelations(manifest: Manifest, reading: Iterable<NodeId>, built: (id: NodeId) => boolean, present: WarehouseState, d: Deferral): Map<NodeId, Relation> {
  const out = new Map<NodeId, Relation>();
  const missing: Diagnostic[] = [];
  const seen = new Set<NodeId>();
  const visit = (id: NodeId): void => {
    if (seen.has(id)) return;
    seen.add(id);
    const n = manifest.nodes[id];
    if (n.kind === 'model' && n.materialized === 'ephemeral') return n.dependsOn.forEach(visit);
    // A source over a table of the target (one a seed or a loader writes into it) is deferred like a model,
    // unless this run loads its seed; sources over files or attached databases read the same thing everywhere.
    const inTarget = n.kind === 'model' || n.kind === 'seed' || (n.kind === 'source' && n.relation !== undefined && n.relation.catalog === undefined && !n.dependsOn.some(built));
    if (!inTarget || built(id) || present.relations.has(relationKey(n.relation!))) return;
    const r = d.state.json.nodes[id]?.relation as { schema?: unknown; name?: unknown } | undefined;
    if (typeof r?.schema === 'string' && typeof r.name === 'string') out.set(id, relation(r.schema, r.name, DEFER_CATALOG));
    else missing.push({ severity: 'error', file: d.state.path, message: `--defer: no ${n.kind} "${n.name}" (${id}) with a relation in this manifest; this run reads it and target "${manifest.target.name}" does not hold it: select it, or build ${d.target.name} with it first` });
  };
  for (const id of reading) manifest.nodes[id].dependsOn.forEach(visit);
  if (missing.length > 0) throw new UsageError(missing);
  return out;
}

/** What the target holds, read-only (readers never block it); nothing when its file does not exist yet. */
export async function presentIn(target: TargetDef): Promise<WarehouseState> {
  const kind = databaseKind(target.path);
  if (kind === 'memory' || (kind === 'file' && !existsSync(target.path))) return { relations: new Map(), schemas: new Set() };
  const { openInPlace } = await import('../publish/in-place.js'); // DuckDB loads only when a target is read
  const adapter = await openInPlace(target, 1, undefined, true);
  try {
    return await adapter.state();
  } finally {
    await adapter.close();
  }
}

