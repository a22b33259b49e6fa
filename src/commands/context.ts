import { randomUUID } from 'node:crypto';
import { join, relative } from 'node:path';
import { Artifacts, manifestJson } from '../artifacts/artifacts.js';
import { compileProject, type CompileOptions } from '../compile/compile.js';
import { compileCached, watchedEnv } from '../state/parse-cache.js';
import { failOnErrors, usageError, type Diagnostic } from '../errors.js';
import { Dag } from '../graph/dag.js';
import type { SelectMethods } from '../graph/select.js';
import { findProjectRoot, loadProject } from '../project/load.js';
import { parseProject, type ProjectDef } from '../project/parse.js';
import { parseProfiles } from '../project/profiles.js';
import { parseYamlValue, YamlFile, type YNode } from '../project/yaml.js';
import { makeReporter, type Reporter } from '../report/reporter.js';
import { checkStateFolder, loadStateManifest, type ManifestJson } from '../state/load.js';
import { stateMethod } from '../state/modified.js';
import { nodesWithResult, type ResultsFolder } from '../state/results.js';
import type { Manifest, TargetDef } from '../types.js';
import { EIDER_VERSION } from '../version.js';

export interface GlobalOptions {
  readonly projectDir?: string;
  readonly profilesDir?: string;
  readonly target?: string;
  readonly vars?: string;
  readonly threads?: number;
  readonly debug?: boolean;
  /** build/run/compile --empty: every ref and source renders as zero rows. */
  readonly empty?: boolean;
  /** `--no-cache` (false): compile everything, neither reading nor writing target/.partial-parse. */
  readonly cache?: boolean;
}

export interface SelectOptions {
  readonly select?: string[];
  readonly exclude?: string[];
  /** `--state DIR`: an earlier run's target/ folder: `state:` compares with its manifest.json, `result:` reads its run_results.json. */
  readonly state?: string;
}

/** Where `result:` selectors read the last run's results: `--state DIR`, or this project's target/ folder. */
export function resultsFolder(opts: SelectOptions, ctx: Pick<ProjectContext, 'artifacts'>): ResultsFolder {
  return opts.state !== undefined ? { dir: opts.state, given: true } : { dir: relative(process.cwd(), ctx.artifacts.dir) || '.', given: false };
}

/** A compiled project, ready for a command: load → parse → compile → graph, every mistake reported at once. */
export interface ProjectContext {
  readonly def: ProjectDef;
  readonly manifest: Manifest;
  readonly dag: Dag;
  readonly artifacts: Artifacts;
  readonly reporter: Reporter;
  /** What select() needs beyond the manifest: `state:` with --state, `result:`. */
  readonly selectMethods: SelectMethods;
  /** Another target of the same profile (`--defer-target`); its mistakes are exit 2, each message led by `via`. */
  readonly profileTarget: (name: string, via: string) => TargetDef;
  /** The project compiled again with the same invocation id and start time, and `extra` options (`--defer`'s relations). */
  readonly recompile: (extra: Pick<CompileOptions, 'deferred'>) => Promise<Manifest>;
  /** The warnings reported. */
  readonly warnings: readonly Diagnostic[];
  /** The result depends on the project's files and the options alone (no environment read, no JS code run): it may be reused. */
  readonly reusable: boolean;
  /** This run's invocation id and start time as templates render them: SQL holding either is this run's own. */
  readonly stamps: readonly string[];
}

/**
 * `beforeCompile` sees the target once the profile is read, before the (longer) compile: build takes its lock there.
 * `extend` adds to the project before it compiles (`show --inline` compiles its text as a model of its own); such a
 * compile does not go through the parse cache, which keeps the project's own.
 */
export async function compileContext(
  opts: GlobalOptions & Pick<SelectOptions, 'state'>,
  reporter: Reporter = makeReporter(),
  beforeCompile?: (target: TargetDef) => void,
  extend?: (def: ProjectDef) => ProjectDef,
  onRead?: (path: string, bytes: Buffer) => void,
): Promise<ProjectContext> {
  if (opts.state !== undefined) checkStateFolder(opts.state);
  const diagnostics: Diagnostic[] = [];
  const root = findProjectRoot(opts.projectDir ?? process.cwd());
  const files = loadProject(root, opts.profilesDir, onRead);
  const env = watchedEnv(process.env);
  const parsed = parseProject(files, { target: opts.target, vars: parseVars(opts.vars), env: env.env }, diagnostics);
  failOnErrors(diagnostics);
  const def = extend ? extend(parsed!) : parsed!;
  const target = opts.threads ? { ...def!.target, threads: opts.threads } : def!.target;
  beforeCompile?.(target);
  const compileOptions: CompileOptions = { invocationId: randomUUID(), runStartedAt: new Date(), empty: opts.empty };
  const artifacts = new Artifacts(join(root, files.paths.target));
  const { manifest, reusable } = await compileCached({ ...def!, target }, compileOptions, opts.cache === false || extend ? undefined : artifacts.dir);
  diagnostics.push(...manifest.diagnostics);
  failOnErrors(diagnostics);
  const dag = Dag.build(manifest, diagnostics);
  failOnErrors(diagnostics);
  reporter.diagnostics(diagnostics);
  const profileTarget = (name: string, via: string): TargetDef => {
    const found: Diagnostic[] = [];
    const t = parseProfiles(root, files.profiles, { profile: target.profile, target: name }, process.env, found);
    failOnErrors(found.map((d) => ({ ...d, message: `${via}: ${d.message}` })));
    return t!;
  };
  const recompile = (extra: Pick<CompileOptions, 'deferred'>) => compileProject({ ...def!, target }, { ...compileOptions, ...extra });
  const warnings = diagnostics;
  return { def: { ...def!, target }, manifest, dag: dag!, artifacts, reporter, selectMethods: selectMethods(opts, manifest, artifacts), profileTarget, recompile, warnings, reusable: reusable && !env.read(), stamps: [compileOptions.invocationId, compileOptions.runStartedAt.toISOString()] };
}

/**
 * The target alone, read from project.yml (its profile) and profiles.yml without compiling anything: for commands
 * that only handle the target's file (`rollback`, `compact`), which must work while a model does not compile — a
 * broken project is when a rollback is needed.
 */
export function projectTarget(opts: GlobalOptions, reporter: Reporter = makeReporter()): { target: TargetDef; reporter: Reporter } {
  const diagnostics: Diagnostic[] = [];
  const root = findProjectRoot(opts.projectDir ?? process.cwd());
  const files = loadProject(root, opts.profilesDir);
  const y = new YamlFile(files.project.path, files.project.text, diagnostics);
  const top = y.root ? y.entries(y.root, 'project.yml') : new Map<string, YNode>();
  const name = y.string(top.get('name'), 'name');
  failOnErrors(diagnostics);
  if (!name) throw usageError('project.yml needs a name', files.project.path);
  const profile = y.string(top.get('profile'), 'profile') ?? name;
  const target = parseProfiles(root, files.profiles, { profile, target: opts.target, profileLine: y.lineOf(top.get('profile')) }, process.env, diagnostics);
  failOnErrors(diagnostics);
  return { target: opts.threads ? { ...target!, threads: opts.threads } : target!, reporter };
}

/**
 * `state:` compares the current manifest, as manifest.json holds it (redacted, like the state's), with the one in
 * --state DIR, read when a selector first needs it (a folder holding only run_results.json serves `result:`);
 * `result:` reads the run_results.json of --state DIR or of target/.
 */
function selectMethods(opts: Pick<SelectOptions, 'state'>, manifest: Manifest, artifacts: Artifacts): SelectMethods {
  const current = () => manifestJson(manifest, EIDER_VERSION) as unknown as ManifestJson;
  let state: ((value: string, flag: string) => string[]) | undefined;
  return {
    state: (value, flag) => {
      if (opts.state === undefined) throw usageError(`${flag}: state:${value} needs --state DIR, the target/ folder of an earlier run (e.g. a copy of production's)`);
      state ??= stateMethod(current, loadStateManifest(opts.state).json);
      return state(value, flag);
    },
    result: (value, flag) => nodesWithResult(manifest, value, resultsFolder(opts, { artifacts }), flag),
  };
}

/**
 * A selection (--select, --exclude, ls's --resource-type) that leaves the command nothing to do is a warning,
 * and the command ends there with exit 0 (dbt: "Nothing to do"). Returns whether it did.
 */
export function nothingSelected(opts: SelectOptions & { readonly resourceType?: string }, command: string, count: number, reporter: Reporter): boolean {
  if (count > 0 || !(opts.select?.length || opts.exclude?.length || opts.resourceType)) return false;
  reporter.diagnostics([{ severity: 'warning', message: `the selection matched nothing: eider ${command} has nothing to do` }]);
  return true;
}

/** `--vars` as a mapping; a mistake in it is a command-line mistake (exit 2). */
export function parseVars(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = parseYamlValue(text);
  } catch (e) {
    throw usageError(`--vars is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw usageError(`--vars must be a YAML mapping, e.g. --vars '{start_date: 2024-01-01}'`);
  return value as Record<string, unknown>;
}
