import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Artifacts } from '../artifacts/artifacts.js';
import { compileProject, type CompileOptions } from '../compile/compile.js';
import { failOnErrors, usageError, type Diagnostic } from '../errors.js';
import { Dag } from '../graph/dag.js';
import { findProjectRoot, loadProject } from '../project/load.js';
import { parseProject, type ProjectDef } from '../project/parse.js';
import { parseProfiles } from '../project/profiles.js';
import { parseYamlValue } from '../project/yaml.js';
import { ConsoleReporter } from '../report/console.js';
import type { Manifest, TargetDef } from '../types.js';

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
}

/** A compiled project, ready for a command: load → parse → compile → graph, every mistake reported at once. */
export interface ProjectContext {
  readonly def: ProjectDef;
  readonly manifest: Manifest;
  readonly dag: Dag;
  readonly artifacts: Artifacts;
  readonly reporter: ConsoleReporter;
  /** Another target of the same profile (`--defer-target`); its mistakes are exit 2, each message led by `via`. */
  readonly profileTarget: (name: string, via: string) => TargetDef;
  /** The project compiled again with the same invocation id and start time, and `extra` options (`--defer`'s relations). */
  readonly recompile: (extra: Pick<CompileOptions, 'deferred'>) => Promise<Manifest>;
}

/** `beforeCompile` sees the target once the profile is read, before the (longer) compile: build takes its lock there. */
export async function compileContext(opts: GlobalOptions, reporter = new ConsoleReporter(), beforeCompile?: (target: TargetDef) => void): Promise<ProjectContext> {
  const diagnostics: Diagnostic[] = [];
  const root = findProjectRoot(opts.projectDir ?? process.cwd());
  const files = loadProject(root, opts.profilesDir);
  const def = parseProject(files, { target: opts.target, vars: parseVars(opts.vars) }, diagnostics);
  failOnErrors(diagnostics);
  const target = opts.threads ? { ...def!.target, threads: opts.threads } : def!.target;
  beforeCompile?.(target);
  const compileOptions: CompileOptions = { invocationId: randomUUID(), runStartedAt: new Date() };
  const manifest = await compileProject({ ...def!, target }, compileOptions);
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
  return { def: { ...def!, target }, manifest, dag: dag!, artifacts: new Artifacts(join(root, files.paths.target)), reporter, profileTarget, recompile };
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
