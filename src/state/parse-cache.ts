import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileProject, type CompileOptions } from '../compile/compile.js';
import { makeFolder } from '../folders.js';
import type { ProjectDef } from '../project/parse.js';
import { holdsSecret } from '../secrets.js';
import type { Manifest } from '../types.js';
import { EIDER_VERSION } from '../version.js';

/** The cache's file in target/: a header line `{format, key}`, then the compiled nodes, macros and diagnostics as JSON. */
export const PARSE_CACHE_FILE = '.partial-parse';
const FORMAT = 2;
/** Stand-ins for the two values that differ between runs of the same project (incremental models keep the start). */
const RUN_STARTED_AT = '@@eider:run_started_at@@';
const INVOCATION_ID = '@@eider:invocation_id@@';

type Cached = Pick<Manifest, 'nodes' | 'macros' | 'diagnostics'>;

/**
 * compileProject, or its result from the last compile of this project in `targetDir` when nothing it reads has
 * changed: the key is a hash of the parsed project (every file's text, the resolved config, properties, vars and
 * target), the seed files' contents, `--empty`, the working folder and eider's version. No cache (and nothing
 * kept) with `--defer`, JavaScript models or helper modules (their code can read anything), a compile with errors,
 * one that read the environment (`{{env}}`), or one whose output holds a secret. An unreadable cache is ignored.
 * `reusable`: the compile was cached or could be (its result depends on nothing but the project's files and options).
 */
/** `env` as a proxy that notes whether anything read it. */
export function watchedEnv(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; read: () => boolean } {
  let read = false;
  const proxy = new Proxy(env, {
    get: (t, p) => {
      read = true;
      return Reflect.get(t, p);
    },
  });
  return { env: proxy, read: () => read };
}

export async function compileCached(def: ProjectDef, opts: CompileOptions, targetDir: string | undefined): Promise<{ manifest: Manifest; reusable: boolean }> {
  const key = targetDir !== undefined ? cacheKey(def, opts) : undefined;
  if (key === undefined) return { manifest: await compileProject(def, opts), reusable: false };
  const file = join(targetDir!, PARSE_CACHE_FILE);
  const hit = readCache(file, key, opts);
  if (hit) return { manifest: { projectName: def.name, root: def.root, target: def.target, ...hit, generatedAt: new Date().toISOString(), invocationId: opts.invocationId }, reusable: true };
  const env = watchedEnv(opts.env ?? process.env);
  const manifest = await compileProject(def, { ...opts, env: env.env });
  const reusable = !env.read() && !manifest.diagnostics.some((d) => d.severity === 'error');
  if (reusable) writeCache(file, key, manifest, opts);
  return { manifest, reusable };
}

/** Undefined when this compile may not be cached: its inputs cannot all be hashed. */
function cacheKey(def: ProjectDef, opts: CompileOptions): string | undefined {
  if (opts.deferred?.size || opts.env !== undefined || def.helperModules.length > 0 || def.models.some((m) => m.language !== 'sql')) return undefined;
  const hash = createHash('sha256').update(`${FORMAT}\0${EIDER_VERSION}\0${process.cwd()}\0${opts.empty === true}\0`);
  try {
    hash.update(JSON.stringify(def, plainData));
    for (const s of def.seeds) hash.update('\0').update(readFileSync(join(def.root, s.file)));
  } catch {
    return undefined; // a value that is not plain data, or a seed that cannot be read (reported by the compile)
  }
  return hash.digest('hex');
}

/** JSON of the parsed project with Maps and Sets spelled out; anything else not plain data makes it uncacheable. */
function plainData(_key: string, value: unknown): unknown {
  if (typeof value === 'function' || typeof value === 'bigint' || typeof value === 'symbol') throw new Error('not plain data');
  if (value instanceof Map) return { map: [...value] };
  if (value instanceof Set) return { set: [...value] };
  return value;
}

function readCache(file: string, key: string, opts: CompileOptions): Cached | undefined {
  try {
    const expected = `${JSON.stringify({ format: FORMAT, key })}\n`;
    const head = Buffer.alloc(expected.length);
    // One open file throughout: a concurrent compile renaming its own cache into place cannot swap it meanwhile.
    const fd = openSync(file, 'r');
    let text: string;
    try {
      readSync(fd, head, 0, head.length, 0);
      if (head.toString('utf8') !== expected) return undefined; // another project state: not read further
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
    if (!text.startsWith(expected)) return undefined;
    const body = text.slice(expected.length).replaceAll(RUN_STARTED_AT, opts.runStartedAt.toISOString()).replaceAll(INVOCATION_ID, opts.invocationId);
    const cached = JSON.parse(body) as Cached;
    return cached.nodes && cached.macros && Array.isArray(cached.diagnostics) ? cached : undefined;
  } catch {
    return undefined; // missing, unreadable or corrupt: compiled again, and rewritten
  }
}

/** Best effort, through a temporary file renamed into place, so concurrent compiles never leave a torn file. */
function writeCache(file: string, key: string, m: Manifest, opts: CompileOptions): void {
  const raw = JSON.stringify({ nodes: m.nodes, macros: m.macros, diagnostics: m.diagnostics } satisfies Cached);
  if (raw.includes(RUN_STARTED_AT) || raw.includes(INVOCATION_ID) || holdsSecret(raw)) return;
  const body = raw.replaceAll(opts.runStartedAt.toISOString(), RUN_STARTED_AT).replaceAll(opts.invocationId, INVOCATION_ID);
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    makeFolder(join(file, '..'));
    writeFileSync(temp, `${JSON.stringify({ format: FORMAT, key })}\n${body}`);
    renameSync(temp, file);
  } catch {
    rmSync(temp, { force: true }); // only a cache: the next compile works without it
  }
}
