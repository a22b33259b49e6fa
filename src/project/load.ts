import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { parseYamlValue } from './yaml.js';
import { usageError, type Diagnostic } from '../errors.js';

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
  /** `paths: {docs: …}`: a folder of `.md` files with doc blocks, beside those under models/, seeds/ and snapshots/. */
  readonly docs?: string;
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
  /** `.md` files under models/, seeds/, snapshots/ (and paths.docs): doc blocks. */
  readonly docs: readonly SourceFile[];
  /** Project-relative paths of JavaScript/TypeScript helper modules in macros/. */
  readonly helperModules: readonly string[];
  /** Folders under models/ (project-relative), for validating folder-level config. */
  readonly modelFolders: readonly string[];
  readonly seedFolders: readonly string[];
  /** What reading found wrong: text that is not UTF-8, empty seeds (errors), files in models/ eider ignores (warnings). */
  readonly diagnostics: readonly Diagnostic[];
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

/** `onRead` sees each text file's bytes as they are read (the compile snapshot hashes some). */
export function loadProject(root: string, profilesDir?: string, onRead?: (path: string, bytes: Buffer) => void): ProjectFiles {
  const diagnostics: Diagnostic[] = [];
  const read = (path: string) => readSource(root, path, diagnostics, onRead);
  const project = read('project.yml');
  const paths = readPaths(project.text);
  const profilesPath = join(profilesDir ?? join(root, 'profiles'), 'profiles.yml');
  const profiles = existsSync(profilesPath) ? read(toPosix(relative(root, profilesPath))) : undefined;
  const walked = new Map<string, Walk>();
  const listFiles = (dir: string) => walk(root, dir, walked).files;
  const listFolders = (dir: string) => walk(root, dir, walked).folders;
  const modelFiles = listFiles(paths.models);
  const seedFiles = listFiles(paths.seeds);
  const testFiles = listFiles(paths.tests);
  const macroFiles = listFiles(paths.macros);
  const isYaml = (f: string) => f.endsWith('.yml') || f.endsWith('.yaml');
  const seeds = seedFiles.filter((f) => f.endsWith('.csv'));
  for (const f of seeds) if (isBlank(join(root, f))) diagnostics.push({ severity: 'error', file: f, message: 'the seed file is empty: a seed needs at least a header row' });
  for (const f of modelFiles) if (!isModelFolderFile(f)) diagnostics.push({ severity: 'warning', file: f, message: `ignored: not a model or properties file (${MODEL_FOLDER_EXTENSIONS.join(', ')})` });
  return {
    root,
    paths,
    project,
    profiles,
    models: modelFiles.filter((f) => f.endsWith('.sql')).map(read),
    jsModels: modelFiles.filter(isJsModule),
    snapshots: listFiles(paths.snapshots).filter((f) => f.endsWith('.sql')).map(read),
    properties: [...modelFiles, ...seedFiles, ...listFiles(paths.snapshots)].filter(isYaml).map(read),
    docs: [...modelFiles, ...seedFiles, ...listFiles(paths.snapshots), ...(paths.docs ? listFiles(paths.docs) : [])].filter((f) => f.endsWith('.md')).map(read),
    seeds,
    singularTests: testFiles.filter((f) => f.endsWith('.sql')).map(read),
    unitTests: testFiles.filter(isYaml).map(read),
    partials: macroFiles.filter((f) => f.endsWith('.sql')).map(read),
    helperModules: macroFiles.filter(isJsModule),
    modelFolders: listFolders(paths.models),
    seedFolders: listFolders(paths.seeds),
    diagnostics,
  };
}

/** Empty, or only blank lines (DuckDB would read either as one column named column0). Only small files are read. */
function isBlank(path: string): boolean {
  const size = statSync(path).size;
  return size === 0 || (size <= 64 && readFileSync(path, 'utf8').trim() === '');
}

const MODEL_FOLDER_EXTENSIONS = ['.sql', '.js', '.mjs', '.ts', '.yml', '.yaml'];

function isJsModule(f: string): boolean {
  return /\.(m?js|ts)$/.test(f) && !f.endsWith('.d.ts');
}

/** What eider reads in models/, and what it leaves alone there without a word: docs (`.md`, READMEs). */
function isModelFolderFile(f: string): boolean {
  const name = basename(f);
  return MODEL_FOLDER_EXTENSIONS.some((ext) => name.endsWith(ext)) || name.endsWith('.md') || /^readme(\.|$)/i.test(name);
}

/** The project's target/ folder (project.yml `paths: {target: …}`), found without reading the rest of the project. */
export function targetFolder(root: string): string {
  return join(root, projectPaths(root).target);
}

/** The project's folders (project.yml `paths:`), found without reading the rest of the project. */
export function projectPaths(root: string): ProjectPaths {
  return readPaths(readFileSync(join(root, 'project.yml'), 'utf8'));
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
  const pick = (k: Exclude<keyof ProjectPaths, 'docs'>) => (typeof p[k] === 'string' ? (p[k] as string) : DEFAULT_PATHS[k]);
  const docs = typeof p.docs === 'string' ? { docs: p.docs } : {};
  return { models: pick('models'), seeds: pick('seeds'), tests: pick('tests'), macros: pick('macros'), snapshots: pick('snapshots'), output: pick('output'), target: pick('target'), ...docs };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Reads a text file; bytes that are not UTF-8 are an error at their line (the text is still returned, with U+FFFD). */
function readSource(root: string, path: string, diagnostics: Diagnostic[], onRead?: (path: string, bytes: Buffer) => void): SourceFile {
  const bytes = readFileSync(join(root, path));
  onRead?.(path, bytes);
  try {
    return { path, text: UTF8.decode(bytes) };
  } catch {
    diagnostics.push(notUtf8(path, bytes));
    return { path, text: bytes.toString('utf8') };
  }
}

/** At the first byte that starts no valid UTF-8 sequence, with its line. */
function notUtf8(path: string, bytes: Buffer): Diagnostic {
  let at = 0;
  while (at < bytes.length) {
    const b = bytes[at];
    const n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (n === 0 || !decodes(bytes.subarray(at, at + n))) break;
    at += n;
  }
  const line = bytes.subarray(0, at).filter((c) => c === 0x0a).length + 1;
  return { severity: 'error', file: path, line, message: `not valid UTF-8 text (byte 0x${bytes[at].toString(16).padStart(2, '0')}): save the file as UTF-8` };
}

function decodes(bytes: Uint8Array): boolean {
  try {
    UTF8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Project-relative file paths under `dir`, sorted, hidden entries skipped. */
interface Walk {
  readonly files: string[];
  readonly folders: string[];
}

/** The files and folders under `dir` (project-relative, posix, sorted, hidden ones left out), walked once per `walked`. */
function walk(root: string, dir: string, walked: Map<string, Walk>): Walk {
  const abs = resolve(root, dir); // normalized, no trailing separator (`models/` is `models`)
  const known = walked.get(abs);
  if (known) return known;
  const out: Walk = { files: [], folders: [] };
  if (existsSync(abs) && statSync(abs).isDirectory()) {
    // Plain string work: path.relative and path.join per entry cost 5,000 models 40 ms.
    const base = toPosix(relative(root, abs));
    for (const e of readdirSync(abs, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[]) {
      const sub = e.parentPath.length > abs.length ? `${toPosix(e.parentPath.slice(abs.length + 1))}/${e.name}` : e.name;
      if (sub.startsWith('.') || sub.includes('/.')) continue;
      const rel = base === '' ? sub : `${base}/${sub}`;
      if (e.isFile()) out.files.push(rel);
      else if (e.isDirectory()) out.folders.push(rel);
    }
    out.files.sort();
    out.folders.sort();
  }
  walked.set(abs, out);
  return out;
}

export function isHidden(rel: string): boolean {
  return rel.split(sep).some((part) => part.startsWith('.'));
}

export function toPosix(p: string): string {
  return p.split(sep).join('/');
}
