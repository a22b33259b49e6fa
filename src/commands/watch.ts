import { relative, resolve, sep } from 'node:path';
import { watch as watchFiles, type FSWatcher } from 'chokidar';
import { manifestJson } from '../artifacts/artifacts.js';
import { failure } from '../cli/main.js';
import { UsageError, usageError } from '../errors.js';
import type { Dag } from '../graph/dag.js';
import { select } from '../graph/select.js';
import { actsOn } from '../plan/plan.js';
import { findProjectRoot, loadProject, toPosix } from '../project/load.js';
import { makeReporter } from '../report/reporter.js';
import type { ManifestJson } from '../state/load.js';
import { canonicalJson, stateChanges } from '../state/modified.js';
import type { Manifest, NodeId, NodeResult, RowsDef, TargetDef } from '../types.js';
import { EIDER_VERSION } from '../version.js';
import { buildCommand } from './build.js';
import { compileContext, type GlobalOptions, type ProjectContext } from './context.js';

export interface WatchOptions extends GlobalOptions {
  readonly select?: string[];
  readonly exclude?: string[];
  /** Watch a `publish: swap` (production) target too. */
  readonly allowProd?: boolean;
  /** Poll for changes instead of the OS's file events (network and some container file systems). */
  readonly poll?: boolean;
}

/** Saves this close together make one build. */
export const QUIET_MS = 40;

/**
 * `eider watch`: build the selection once, then on every save of a file the project is made of, compile again,
 * compare with the last compile (as `state:modified` compares) and build what changed and everything downstream
 * of it, within the selection, with their tests, through `eider build`. Mistakes in files are printed and wait for
 * the next save; a mistake on the command line ends it (exit 2). SIGINT/SIGTERM stop it (a running build is
 * interrupted as build is: no lock left, nothing half-published), exit 130/143.
 */
export async function watchCommand(opts: WatchOptions): Promise<number> {
  const stateful = [...(opts.select ?? []), ...(opts.exclude ?? [])].flatMap((s) => s.split(/[\s,]+/)).find((a) => /^(\d*\+)?@?(state|result):/.test(a));
  if (stateful) throw usageError(`eider watch compares each save with its own last compile: it takes no state: or result: selectors (got "${stateful}")`);
  const reporter = makeReporter();
  const root = findProjectRoot(opts.projectDir ?? process.cwd());
  const checkTarget = (target: TargetDef) => {
    if (target.publish === 'swap' && !opts.allowProd) {
      throw usageError(`target ${target.name} publishes by swap (a production target): eider watch builds dev targets only; pass --allow-prod to watch it anyway`);
    }
  };
  // The parse cache on disk serves the first compile; after it, every compile follows a save, which the cache
  // would only miss and rewrite.
  let compiles = 0;
  const compile = () => compileContext(compiles++ === 0 ? opts : { ...opts, cache: false }, reporter, checkTarget);
  // What the next save is compared with: the last compile that was built (none until one compiles).
  let previous: ManifestJson | undefined;
  // The target of that compile (profiles.yml): another schema, file or setting rebuilds the whole selection.
  let previousTarget: string | undefined;
  // Nodes whose last build errored, failed or was skipped: built again with the next save, as a model skipped
  // behind a failing test must be once the test passes (the target matches the files).
  let unsettled: NodeId[] = [];
  const settle = (results: readonly NodeResult[], discarded: boolean) => {
    // A release thrown away (a copy built beside a reader, with a test failing) published none of its nodes.
    unsettled = results.filter((r) => discarded || r.status === 'error' || r.status === 'fail' || r.status === 'skipped').map((r) => r.nodeId);
  };
  let first: ProjectContext | undefined;
  try {
    first = await compile();
    select(first.manifest, first.dag, opts.select, opts.exclude, '--select', first.selectMethods);
  } catch (e) {
    // A mistake on the command line (no file to fix) ends watch; one in a file waits for its fix.
    // --target naming no target of the profile is a mistake on the command line, though reported at profiles.yml.
    const noTarget = opts.target !== undefined && e instanceof UsageError && e.diagnostics.some((d) => d.message.startsWith(`target "${opts.target}" not found in profile`));
    if (!(e instanceof UsageError) || noTarget || e.diagnostics.some((d) => d.file === undefined)) throw e;
    reporter.diagnostics(e.diagnostics);
  }

  let stopped: NodeJS.Signals | undefined;
  let building = false;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((r) => (finish = r));
  const changed = new Set<string>();

  /** One build: of the whole selection the first time, then of what changed since the last one. */
  const build = async (): Promise<void> => {
    const files = [...changed];
    changed.clear();
    if (files.length > 0) reporter.line(`\n${clock()} ${describeFiles(files)} changed`);
    let ctx: ProjectContext;
    try {
      ctx = first ?? (await compile());
      first = undefined;
    } catch (e) {
      failure(e, process.argv, reporter);
      return;
    }
    const current = manifestJson(ctx.manifest, EIDER_VERSION) as unknown as ManifestJson;
    let nodes: NodeId[] | undefined;
    if (previous) {
      try {
        const selection = select(ctx.manifest, ctx.dag, opts.select, opts.exclude, '--select', ctx.selectMethods);
        const targetChanged = previousTarget !== undefined && canonicalJson(ctx.manifest.target) !== previousTarget;
        const changes = [...stateChanges(current, previous).keys(), ...readersOf(ctx.manifest, files.map((f) => resolve(root, f)), targetChanged), ...unsettled];
        nodes = toRebuild(changes, ctx.dag, ctx.manifest, selection);
      } catch (e) {
        failure(e, process.argv, reporter);
        return;
      }
      const runs = nodes.filter((id) => actsOn('build', ctx.manifest.nodes[id])).length;
      reporter.line(runs === 0 ? 'Nothing to build: no selected node changed.' : `${runs} node${runs === 1 ? '' : 's'} to build.`);
      if (runs === 0) {
        previous = current;
        previousTarget = canonicalJson(ctx.manifest.target);
        return;
      }
    }
    building = true;
    try {
      // The build runs this compile of the project. What it ran is the new baseline; a build that could not start
      // (another build holds the lock, a statement check failed) leaves it, so its changes are built with the next save.
      await buildCommand('build', { ...opts, alerts: false, compiled: ctx, onResults: settle, ...(nodes ? { nodes, select: undefined, exclude: undefined } : {}) });
      previous = current;
      previousTarget = canonicalJson(ctx.manifest.target);
    } catch (e) {
      if (!stopped) failure(e, process.argv, reporter);
    } finally {
      building = false;
    }
  };

  const watching = () => reporter.line(`\nWatching ${relative(process.cwd(), root) || '.'} for changes (Ctrl-C to stop)`);
  const queue = new BuildQueue(build, () => (stopped ? finish(stopped === 'SIGINT' ? 130 : 143) : watching()));
  const onSignal = (sig: NodeJS.Signals) => {
    stopped ??= sig;
    queue.dispose();
    // A running build stops on the same signal (build handles it); watch ends when it has.
    if (!building) finish(stopped === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const watcher = await startWatcher(root, opts, (file) => {
    if (stopped) return;
    changed.add(file);
    queue.poke();
  });
  try {
    if (first) void queue.now();
    else watching();
    return await done;
  } finally {
    queue.dispose();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await watcher.close();
  }
}

/** Watches the project folder (and a profiles folder outside it) for saves of the files eider reads. */
async function startWatcher(root: string, opts: WatchOptions, onChange: (file: string) => void): Promise<FSWatcher> {
  const { paths } = loadProject(root, opts.profilesDir);
  const profiles = opts.profilesDir !== undefined ? resolve(opts.profilesDir) : undefined;
  const skipped = new Set([paths.target, paths.output, 'warehouse', 'node_modules'].map((p) => toPosix(p).replace(/\/+$/, '')));
  const watcher = watchFiles(profiles && !isInside(profiles, root) ? [root, profiles] : [root], {
    ignoreInitial: true,
    usePolling: opts.poll === true,
    interval: 100,
    ignored: (path, stats) => isIgnored(isInside(resolve(path), root) ? toPosix(relative(root, resolve(path))) : '', stats?.isFile() ?? false, skipped),
  });
  watcher.on('all', (event, path) => {
    if (event === 'addDir') return;
    onChange(isInside(resolve(path), root) ? toPosix(relative(root, resolve(path))) : path);
  });
  await new Promise<void>((r) => watcher.once('ready', () => r()));
  return watcher;
}

function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/** Files eider reads: templates and properties, seeds and fixtures, JavaScript/TypeScript models and helpers. */
const READ = /\.(sql|ya?ml|csv|m?js|ts)$/;

/**
 * Whether watch leaves a project-relative path alone: anything under a dot-folder, target/, output/, warehouse/ or
 * node_modules/ (what a build writes must not start another), and files of kinds eider does not read.
 */
export function isIgnored(rel: string, isFile: boolean, skipped: ReadonlySet<string>): boolean {
  if (rel === '') return false;
  const parts = rel.split('/');
  if (parts.some((p) => p.startsWith('.'))) return true;
  if ([...skipped].some((s) => rel === s || rel.startsWith(`${s}/`))) return true;
  return isFile && (!READ.test(rel) || rel.endsWith('.d.ts'));
}

/**
 * What a save rebuilds: the changed nodes (and those the last build left in error, failed or skipped) and everything
 * downstream of them (their tests and unit tests among it), kept to the selection, in DAG order.
 */
export function toRebuild(changed: Iterable<NodeId>, dag: Dag, manifest: Manifest, selection: ReadonlySet<NodeId>): NodeId[] {
  const out = new Set<NodeId>();
  for (const id of changed) {
    if (!(id in manifest.nodes)) continue;
    out.add(id);
    for (const d of dag.reach(id, 'down')) out.add(d);
  }
  for (const n of Object.values(manifest.nodes)) if (n.kind === 'unit_test' && out.has(n.model)) out.add(n.id);
  return dag.order.filter((id) => out.has(id) && selection.has(id));
}

/**
 * What a save changed beyond what state comparison sees (it compares what nodes are made from, never the target
 * nor fixture files): every node when the target changed; the unit tests whose fixture file was saved.
 */
export function readersOf(manifest: Manifest, files: readonly string[], targetChanged: boolean): NodeId[] {
  if (targetChanged) return Object.keys(manifest.nodes);
  const saved = new Set(files);
  const fixture = (r: RowsDef | undefined) => r?.kind === 'fixture' && saved.has(r.path);
  return Object.values(manifest.nodes).flatMap((n) => (n.kind === 'unit_test' && (fixture(n.expect) || n.inputs.some((i) => fixture(i.rows))) ? [n.id] : []));
}

/** `models/a.sql`, `models/a.sql, models/b.sql and 3 more files` */
export function describeFiles(files: readonly string[]): string {
  if (files.length <= 2) return files.join(', ');
  return `${files.slice(0, 2).join(', ')} and ${files.length - 2} more files`;
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

/**
 * Runs `task` once saves have been quiet for `quietMs`; saves during a running task queue exactly one more run
 * after it. `idle` is called each time nothing is running or waiting.
 */
export class BuildQueue {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;
  private disposed = false;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly idle: () => void,
    private readonly quietMs = QUIET_MS,
  ) {}

  /** A save. */
  poke(): void {
    if (this.disposed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.now(), this.quietMs);
  }

  /** Runs the task now (unless it is running). */
  async now(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running || this.disposed) return;
    this.running = true;
    try {
      await this.task();
    } finally {
      this.running = false;
    }
    if (this.again && !this.disposed) {
      this.again = false;
      this.poke();
    } else this.idle();
  }

  /** No more runs; one running finishes (and `idle` is called after it). */
  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
  }
}
