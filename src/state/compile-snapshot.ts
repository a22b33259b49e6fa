import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type BigIntStats, type Dirent, type Stats } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { duckdbPackageVersion } from '../adapter/version.js';
import type { Artifacts } from '../artifacts/artifacts.js';
import type { Diagnostic } from '../errors.js';
import { projectPaths, toPosix, type ProjectPaths } from '../project/load.js';
import { holdsSecret } from '../secrets.js';
import type { Manifest } from '../types.js';
import { EIDER_VERSION } from '../version.js';

/**
 * target/.compile-state: what the last plain `eider compile` of this project read and wrote, so that the next one,
 * when nothing it reads has changed, only re-stamps manifest.json (generated_at, invocation_id) instead of compiling.
 *
 * A file counts as unchanged when its size, modification time, change time (ctime) and inode are all the same, as
 * git's index decides: setting a file's mtime back (utimes) still moves its ctime. A file whose times are within a
 * second of the compile that read it is "racy" (a second save in the same clock tick would leave its stat
 * unchanged): it is compared by the sha256 of its contents instead. Any added, removed or renamed file, folder,
 * another option, eider or DuckDB version, a manifest.json or compiled/ index written since (by another command),
 * a compiled file removed: not reused, and the compile runs as usual (through the parse cache).
 */
export const SNAPSHOT_FILE = '.compile-state';
const FORMAT = 2;
/** Files changed this close (ms) before they were read are compared by content. */
const RACY_MS = 1000;

/** path, kind and size, mtime ms, ctime ms, inode; a racy file adds its content's sha256. */
type Entry = [string, string, string, string, string, string?];
/** size, mtime ns, ctime ns, inode of a file eider wrote. */
type Written = [string, string, string, string];

interface Snapshot {
  readonly format: number;
  /** The eider and DuckDB (bindings package) that compiled. */
  readonly eider: string;
  readonly duckdb: string;
  /** The working folder and the options: see `optionsKey`. */
  readonly key: string;
  readonly paths: ProjectPaths;
  readonly files: Entry[];
  readonly manifest: Written;
  /** compiled/'s index, and its folders (see `Artifacts.compiledFolders`). */
  readonly index: Written;
  readonly folders: Array<[string, ...Written]>;
  readonly count: number;
  readonly diagnostics: readonly Diagnostic[];
}

/** What a compile with this snapshot must have been given: no selection, state or deferral. */
export interface SnapshotOptions {
  readonly profilesDir?: string;
  readonly target?: string;
  readonly vars?: string;
  readonly threads?: number;
  readonly empty?: boolean;
}

/** The files of a project as they were before a compile read them; `onRead` hashes the racy ones as they are read. */
export interface Scan {
  readonly root: string;
  readonly paths: ProjectPaths;
  readonly entries: Entry[];
  readonly onRead: (path: string, bytes: Buffer) => void;
  /** Racy files the compile did not read through `onRead` (seeds): the snapshot cannot vouch for them. */
  readonly unread: () => boolean;
}

function optionsKey(root: string, opts: SnapshotOptions): string {
  const given = { root, cwd: process.cwd(), profilesDir: opts.profilesDir && resolve(opts.profilesDir), target: opts.target, vars: opts.vars, threads: opts.threads, empty: opts.empty === true };
  return createHash('sha256').update(JSON.stringify(given)).digest('hex');
}

/** Every file and folder under the project's folders, project.yml and profiles.yml, with its stat. */
function scanFiles(root: string, paths: ProjectPaths, profilesDir: string | undefined): Entry[] {
  const out: Entry[] = [];
  // Times in ms with their fraction (a double keeps well under a microsecond): BigInt stats cost more, for nothing here.
  const add = (rel: string, s: Stats | undefined, kind: string) => out.push(s ? [rel, `${kind}${s.size}`, String(s.mtimeMs), String(s.ctimeMs), String(s.ino)] : [rel, 'none', '', '', '']);
  add('project.yml', statSync(join(root, 'project.yml')), 'f');
  const profiles = join(profilesDir ?? join(root, 'profiles'), 'profiles.yml');
  add(toPosix(relative(root, profiles)), statSync(profiles, { throwIfNoEntry: false }), 'f');
  for (const dir of new Set([paths.models, paths.seeds, paths.tests, paths.macros, paths.snapshots])) {
    const abs = join(root, dir);
    const top = statSync(abs, { throwIfNoEntry: false });
    add(toPosix(dir), top, top?.isDirectory() ? 'd' : 'f');
    if (!top?.isDirectory()) continue;
    // Plain string work: path.relative for each of thousands of files costs more than their stats.
    const prefix = toPosix(relative(root, abs));
    for (const e of readdirSync(abs, { recursive: true, withFileTypes: true }) as Dirent[]) {
      const under = e.parentPath.length > abs.length ? `${toPosix(e.parentPath.slice(abs.length + 1))}/${e.name}` : e.name;
      if (under.startsWith('.') || under.includes('/.')) continue; // never read by a compile (editors' swap files live there)
      const rel = `${prefix}/${under}`;
      // Folders by name only: their times move whenever a file is saved through a temporary one.
      if (e.isDirectory()) out.push([rel, 'd', '', '', '']);
      else add(rel, statSync(`${e.parentPath}/${e.name}`, { throwIfNoEntry: false }), 'f');
    }
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function isRacy(e: Entry, before: number): boolean {
  return e[2] !== '' && (Number(e[2]) >= before || Number(e[3]) >= before);
}

/** Whether a node's SQL holds `stamps` (`{{invocation_id}}`, `{{run_started_at}}`): that compile is its run's own. */
export function rendersStamps(m: Manifest, stamps: readonly string[]): boolean {
  return Object.values(m.nodes).some((n) => 'sql' in n && stamps.some((s) => n.sql.includes(s)));
}

export function forgetSnapshot(targetDir: string): void {
  rmSync(join(targetDir, SNAPSHOT_FILE), { force: true });
}

/** Stats every file a compile reads, before it reads them; undefined when they cannot be listed (the compile says why). */
export function scanProject(root: string, opts: SnapshotOptions): Scan | undefined {
  try {
    return scanned(root, opts);
  } catch {
    return undefined;
  }
}

function scanned(root: string, opts: SnapshotOptions): Scan {
  const before = Date.now() - RACY_MS;
  const paths = projectPaths(root);
  const entries = scanFiles(root, paths, opts.profilesDir);
  const racy = new Map(entries.filter((e) => isRacy(e, before)).map((e) => [e[0], e]));
  return {
    root,
    paths,
    entries,
    onRead: (path, bytes) => {
      const e = racy.get(path);
      if (e) (e[5] = sha256(bytes)), racy.delete(path);
    },
    unread: () => racy.size > 0,
  };
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function written(path: string): Written | undefined {
  return stamp(statSync(path, { bigint: true, throwIfNoEntry: false }));
}

function stamp(s: BigIntStats | undefined): Written | undefined {
  return s && [String(s.size), String(s.mtimeNs), String(s.ctimeNs), String(s.ino)];
}

const same = (a: readonly string[] | undefined, b: readonly string[] | undefined) => a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Keeps what this compile read (`scan`) and wrote (manifest.json, as `wrote` left it: another compile writing it
 * after this one makes the snapshot unusable, not wrong; compiled/), best effort, through a temporary file renamed
 * into place. Nothing is kept when a racy file was read around `onRead`, or the diagnostics hold a secret.
 */
export function saveSnapshot(scan: Scan, opts: SnapshotOptions, artifacts: Artifacts, wrote: BigIntStats, count: number, diagnostics: readonly Diagnostic[]): void {
  const file = join(artifacts.dir, SNAPSHOT_FILE);
  const manifest = stamp(wrote);
  const index = written(artifacts.compiledIndex);
  const folders = artifacts.compiledFolders()?.map((f) => [f, ...(written(f) ?? [])] as [string, ...Written]);
  if (scan.unread() || !manifest || !index || !folders || holdsSecret(JSON.stringify(diagnostics))) return;
  writeSnapshot(file, { format: FORMAT, eider: EIDER_VERSION, duckdb: duckdbPackageVersion(), key: optionsKey(scan.root, opts), paths: scan.paths, files: scan.entries, manifest, index, folders, count, diagnostics });
}

/** The snapshot is one line of JSON without its files, then the files: a reuse rewrites the first line only. */
function writeSnapshot(file: string, s: Snapshot, filesJson = JSON.stringify(s.files)): void {
  const { files: _files, ...head } = s;
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(temp, `${JSON.stringify(head)}\n${filesJson}`);
    renameSync(temp, file);
  } catch {
    rmSync(temp, { force: true }); // only a cache
  }
}

/** The snapshot without its files (`files()` parses them), or undefined. */
function readSnapshot(file: string): { head: Omit<Snapshot, 'files'>; filesJson: string; files: () => Entry[] } | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    const at = text.indexOf('\n');
    const head = JSON.parse(text.slice(0, at)) as Omit<Snapshot, 'files'>;
    const filesJson = text.slice(at + 1);
    const ok = head.format === FORMAT && Array.isArray(head.folders) && Array.isArray(head.diagnostics);
    return ok ? { head, filesJson, files: () => JSON.parse(filesJson) as Entry[] } : undefined;
  } catch {
    return undefined;
  }
}

/** Whether every file is as the snapshot saw it (racy ones by their contents). */
function unchanged(root: string, now: readonly Entry[], files: readonly Entry[]): boolean {
  if (now.length !== files.length) return false;
  for (let i = 0; i < now.length; i++) {
    const [path, size, mtime, ctime, ino, hash] = files[i];
    const n = now[i];
    if (n[0] !== path || n[1] !== size) return false;
    if (hash !== undefined) {
      if (sha256(readFileSync(join(root, path))) !== hash) return false;
    } else if (n[2] !== mtime || n[3] !== ctime || n[4] !== ino) return false;
  }
  return true;
}

/**
 * The last compile again, when nothing it read has changed and what it wrote is still there: manifest.json re-stamped
 * with this run's generated_at and invocation_id, compiled/ left as it is. Returns that compile's node count and
 * diagnostics (to print again), or undefined: compile.
 */
export function reuseSnapshot(scan: Scan, opts: SnapshotOptions, artifacts: Artifacts, invocationId: string): { count: number; diagnostics: readonly Diagnostic[] } | undefined {
  try {
    return reused(scan, opts, artifacts, invocationId);
  } catch {
    return undefined; // a snapshot of another shape, a file gone meanwhile: compile
  }
}

function reused(scan: Scan, opts: SnapshotOptions, artifacts: Artifacts, invocationId: string): { count: number; diagnostics: readonly Diagnostic[] } | undefined {
  const root = scan.root;
  const file = join(artifacts.dir, SNAPSHOT_FILE);
  if (!existsSync(file)) return undefined;
  const snapshot = readSnapshot(file);
  const manifestPath = join(artifacts.dir, 'manifest.json');
  const s = snapshot?.head;
  if (!s || s.eider !== EIDER_VERSION || s.duckdb !== duckdbPackageVersion() || s.key !== optionsKey(root, opts)) return undefined;
  if (!same(written(manifestPath), s.manifest) || !same(written(artifacts.compiledIndex), s.index)) return undefined;
  if (!s.folders.every(([f, ...stat]) => same(written(f), stat))) return undefined;
  if (!same(Object.values(s.paths), Object.values(scan.paths)) || !unchanged(root, scan.entries, snapshot!.files())) return undefined;
  const manifest = stamp(artifacts.restampManifest(new Date().toISOString(), invocationId));
  if (!manifest) return undefined;
  writeSnapshot(file, { ...s, manifest, files: [] }, snapshot!.filesJson);
  return { count: s.count, diagnostics: s.diagnostics };
}
