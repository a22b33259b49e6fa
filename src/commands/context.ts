import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Artifacts, manifestJson } from '../artifacts/artifacts.js';
import { compileProject } from '../compile/compile.js';
import { failOnErrors, usageError, type Diagnostic } from '../errors.js';
import { Dag } from '../graph/dag.js';
import type { SelectMethods } from '../graph/select.js';
import { findProjectRoot, loadProject } from '../project/load.js';
import { parseProject, type ProjectDef } from '../project/parse.js';
import { parseYamlValue } from '../project/yaml.js';
import { ConsoleReporter } from '../report/console.js';
import { loadStateManifest, type ManifestJson } from '../state/load.js';
import { stateMethod } from '../state/modified.js';
import type { Manifest, TargetDef } from '../types.js';
import { EIDER_VERSION } from '../version.js';

export interface GlobalOptions {
  readonly projectDir?: string;
  readonly profilesDir?: string;
  readonly target?: string;
  readonly vars?: string;
  readonly threads?: number;
  readonly debug?: boolean;
}

export interface SelectOptions {
  readonly select?: string[];
  readonly exclude?: string[];
  /** `--state DIR`: an earlier run's target/ folder, for `state:` selectors. */
  readonly state?: string;
}

/** A compiled project, ready for a command: load → parse → compile → graph, every mistake reported at once. */
export interface ProjectContext {
  readonly def: ProjectDef;
  readonly manifest: Manifest;
  readonly dag: Dag;
  readonly artifacts: Artifacts;
  readonly reporter: ConsoleReporter;
  /** What select() needs beyond the manifest (`state:` with --state). */
  readonly selectMethods: SelectMethods;
}

/** `beforeCompile` sees the target once the profile is read, before the (longer) compile: build takes its lock there. */
export async function compileContext(opts: GlobalOptions & Pick<SelectOptions, 'state'>, reporter = new ConsoleReporter(), beforeCompile?: (target: TargetDef) => void): Promise<ProjectContext> {
  const state = opts.state === undefined ? undefined : loadStateManifest(opts.state);
  const diagnostics: Diagnostic[] = [];
  const root = findProjectRoot(opts.projectDir ?? process.cwd());
  const files = loadProject(root, opts.profilesDir);
  const def = parseProject(files, { target: opts.target, vars: parseVars(opts.vars) }, diagnostics);
  failOnErrors(diagnostics);
  const target = opts.threads ? { ...def!.target, threads: opts.threads } : def!.target;
  beforeCompile?.(target);
  const manifest = await compileProject({ ...def!, target }, { invocationId: randomUUID(), runStartedAt: new Date() });
  diagnostics.push(...manifest.diagnostics);
  failOnErrors(diagnostics);
  const dag = Dag.build(manifest, diagnostics);
  failOnErrors(diagnostics);
  reporter.diagnostics(diagnostics);
  // The current manifest as manifest.json holds it (redacted, like the state's) is what `state:` compares.
  const current = () => manifestJson(manifest, EIDER_VERSION) as unknown as ManifestJson;
  const selectMethods: SelectMethods = state ? { state: stateMethod(current, state.json) } : {};
  return { def: { ...def!, target }, manifest, dag: dag!, artifacts: new Artifacts(join(root, files.paths.target)), reporter, selectMethods };
}

/**
 * A selection (--select, --exclude, ls's --resource-type) that leaves the command nothing to do is a warning,
 * and the command ends there with exit 0 (dbt: "Nothing to do"). Returns whether it did.
 */
export function nothingSelected(opts: SelectOptions & { readonly resourceType?: string }, command: string, count: number, reporter: ConsoleReporter): boolean {
  if (count > 0 || !(opts.select?.length || opts.exclude?.length || opts.resourceType)) return false;
  reporter.diagnostics([{ severity: 'warning', message: `the selection matched nothing: eider ${command} has nothing to do` }]);
  return true;
}

function parseVars(text: string | undefined): Record<string, unknown> | undefined {
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
