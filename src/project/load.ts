import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parseYamlValue } from './yaml.js';
import { usageError } from '../errors.js';

export interface SourceFile {
  /** Project-relative path with forward slashes, used in every message. */
  readonly path: string;
  readonly text: string;
}

export interface ProjectPaths {
  readonly models: string;
  readonly seeds: string;
  readonly tests: string;
  readonly macros: string;
  readonly snapshots: string;
  /** Where external models write their files; nothing is written outside it. */
  readonly output: string;
  readonly target: string;
}

/** Everything on disk that makes a project, read but not yet understood. */
export interface ProjectFiles {
  readonly root: string;
  readonly paths: ProjectPaths;
  readonly project: SourceFile;
  readonly profiles?: SourceFile;
  readonly models: readonly SourceFile[];
  /** `models/**.js|.mjs|.ts`: JavaScript/TypeScript models (project-relative paths). */
  readonly jsModels: readonly string[];
  /** `snapshots/**.sql`: models whose default materialization is snapshot. */
  readonly snapshots: readonly SourceFile[];
  /** `*.yml` under models/ and seeds/: properties (docs, columns, tests, sources). */
  readonly properties: readonly SourceFile[];
  /** Project-relative paths of `seeds/**.csv` (read by DuckDB, not by us). */
  readonly seeds: readonly string[];
  readonly singularTests: readonly SourceFile[];
  /** `tests/**.yml`: unit tests. */
  readonly unitTests: readonly SourceFile[];
  readonly partials: readonly SourceFile[];
  /** Project-relative paths of JavaScript/TypeScript helper modules in macros/. */
  readonly helperModules: readonly string[];
  /** Folders under models/ (project-relative), for validating folder-level config. */
  readonly modelFolders: readonly string[];
  readonly seedFolders: readonly string[];
}

export const DEFAULT_PATHS: ProjectPaths = { models: 'models', seeds: 'seeds', tests: 'tests', macros: 'macros', snapshots: 'snapshots', output: 'output', target: 'target' };

/** Finds project.yml in `start` or its parents. */
export function findProjectRoot(start: string): string {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, 'project.yml'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw usageError(`no project.yml found in ${resolve(start)} or any parent folder`);
    dir = up;
  }
}

export function loadProject(root: string, profilesDir?: string): ProjectFiles {
  const project = readSource(root, 'project.yml');
  const paths = readPaths(project.text);
  const profilesPath = join(profilesDir ?? join(root, 'profiles'), 'profiles.yml');
  const profiles = existsSync(profilesPath)
    ? { path: toPosix(relative(root, profilesPath)), text: readFileSync(profilesPath, 'utf8') }
    : undefined;
  const modelFiles = listFiles(root, paths.models);
  const seedFiles = listFiles(root, paths.seeds);
  const testFiles = listFiles(root, paths.tests);
  const macroFiles = listFiles(root, paths.macros);
  const isYaml = (f: string) => f.endsWith('.yml') || f.endsWith('.yaml');
  return {
    root,
    paths,
    project,
    profiles,
    models: modelFiles.filter((f) => f.endsWith('.sql')).map((f) => readSource(root, f)),
    jsModels: modelFiles.filter((f) => /\.(m?js|ts)$/.test(f) && !f.endsWith('.d.ts')),
    snapshots: listFiles(root, paths.snapshots).filter((f) => f.endsWith('.sql')).map((f) => readSource(root, f)),
    properties: [...modelFiles, ...seedFiles, ...listFiles(root, paths.snapshots)].filter(isYaml).map((f) => readSource(root, f)),
    seeds: seedFiles.filter((f) => f.endsWith('.csv')),
    singularTests: testFiles.filter((f) => f.endsWith('.sql')).map((f) => readSource(root, f)),
    unitTests: testFiles.filter(isYaml).map((f) => readSource(root, f)),
    partials: macroFiles.filter((f) => f.endsWith('.sql')).map((f) => readSource(root, f)),
    helperModules: macroFiles.filter((f) => /\.(m?js|ts)$/.test(f) && !f.endsWith('.d.ts')),
    modelFolders: listFolders(root, paths.models),
    seedFolders: listFolders(root, paths.seeds),
  };
}

function readPaths(projectYaml: string): ProjectPaths {
  let doc: unknown;
  try {
    doc = parseYamlValue(projectYaml);
  } catch {
    return DEFAULT_PATHS; // parse reports the YAML error with its line
  }
  const paths = (doc as { paths?: unknown } | null)?.paths;
  if (!paths || typeof paths !== 'object') return DEFAULT_PATHS;
  const p = paths as Record<string, unknown>;
  const pick = (k: keyof ProjectPaths) => (typeof p[k] === 'string' ? (p[k] as string) : DEFAULT_PATHS[k]);
  return { models: pick('models'), seeds: pick('seeds'), tests: pick('tests'), macros: pick('macros'), snapshots: pick('snapshots'), output: pick('output'), target: pick('target') };
}

function readSource(root: string, path: string): SourceFile {
  return { path, text: readFileSync(join(root, path), 'utf8') };
}

/** Project-relative file paths under `dir`, sorted, hidden entries skipped. */
function listFiles(root: string, dir: string): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  return (readdirSync(abs, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile() && !isHidden(relative(abs, join(e.parentPath, e.name))))
    .map((e) => toPosix(relative(root, join(e.parentPath, e.name))))
    .sort();
}

function listFolders(root: string, dir: string): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) return [];
  return (readdirSync(abs, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isDirectory())
    .map((e) => toPosix(relative(root, join(e.parentPath, e.name))))
    .filter((f) => !isHidden(f))
    .sort();
}

function isHidden(rel: string): boolean {
  return rel.split(sep).some((part) => part.startsWith('.'));
}

export function toPosix(p: string): string {
  return p.split(sep).join('/');
}
