import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_SCHEMA, RUN_RESULTS_SCHEMA } from '../artifacts/artifacts.js';
import { usageError } from '../errors.js';

/** A previous run's artifacts, as written to target/ (or copied from production's target/ into a folder). */
export interface StateManifest {
  readonly path: string;
  readonly json: ManifestJson;
}

/** The parts of manifest.json that state comparison and --defer read; other keys pass through untyped. */
export interface ManifestJson {
  readonly metadata: { readonly schema_version: string; readonly eider_version: string; readonly [k: string]: unknown };
  readonly target: { readonly name: string; readonly schema: string; readonly [k: string]: unknown };
  readonly nodes: Readonly<Record<string, ManifestNodeJson>>;
  readonly [k: string]: unknown;
}

export interface ManifestNodeJson {
  readonly unique_id: string;
  readonly resource_type: string;
  readonly name: string;
  readonly [k: string]: unknown;
}

export interface RunResultsJson {
  readonly metadata: { readonly schema_version: string; readonly [k: string]: unknown };
  readonly command: string;
  readonly results: ReadonlyArray<{ readonly unique_id: string; readonly status: string; readonly [k: string]: unknown }>;
  readonly [k: string]: unknown;
}

/** `--state DIR`: the folder must exist. `flag` names the option in messages. */
export function checkStateFolder(dir: string, flag = '--state'): void {
  if (!existsSync(dir)) throw usageError(`${flag} ${dir}: no such folder (give the target/ folder of an earlier run, e.g. a copy of production's)`);
  if (!statSync(dir).isDirectory()) throw usageError(`${flag} ${dir}: not a folder (give the folder that holds manifest.json, not the file)`);
}

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw usageError(`cannot read ${what}: ${(e as Error).message.split('\n')[0]}`, path);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw usageError(`${what} is not valid JSON: ${(e as Error).message.split('\n')[0]}`, path);
  }
}

/** Reads `DIR/manifest.json` of an earlier run; a missing file or another schema version is exit 2. */
export function loadStateManifest(dir: string, flag = '--state'): StateManifest {
  checkStateFolder(dir, flag);
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) throw usageError(`${flag} ${dir}: no manifest.json in this folder (run \`eider compile\` or a build with that target first)`);
  const json = readJson(path, 'the state manifest') as ManifestJson;
  const version = json?.metadata?.schema_version;
  if (version !== MANIFEST_SCHEMA) {
    throw usageError(`${flag}: manifest.json has schema version ${JSON.stringify(version ?? null)}, this eider reads ${MANIFEST_SCHEMA}: re-create it with this version of eider`, path);
  }
  const bad = !isObject(json.target) || typeof json.target.name !== 'string' ? 'target' : !isObject(json.nodes) || !Object.values(json.nodes).every((n) => isObject(n) && typeof n.resource_type === 'string') ? 'nodes' : undefined;
  if (bad) throw usageError(`${flag}: manifest.json is not a whole eider manifest (its "${bad}" is missing or malformed): copy the target/ folder of a finished run again`, path);
  return { path, json };
}

/** Reads `DIR/run_results.json` of the last run (for `result:` and `eider retry`). */
export function loadRunResults(dir: string, flag = '--state'): RunResultsJson {
  checkStateFolder(dir, flag);
  const path = join(dir, 'run_results.json');
  if (!existsSync(path)) throw usageError(`${flag} ${dir}: no run_results.json in this folder: result: selectors and retry need an earlier run, build, test or seed`);
  const json = readJson(path, 'run_results.json') as RunResultsJson;
  if (json?.metadata?.schema_version !== RUN_RESULTS_SCHEMA) {
    throw usageError(`run_results.json has schema version ${JSON.stringify(json?.metadata?.schema_version ?? null)}, this eider reads ${RUN_RESULTS_SCHEMA}`, path);
  }
  const target = json.target as unknown;
  const bad =
    typeof json.command !== 'string' ? 'command'
    : !(typeof target === 'string' || (isObject(target) && typeof target.name === 'string')) ? 'target'
    : !Array.isArray(json.results) || !json.results.every((r) => isObject(r) && typeof r.unique_id === 'string' && typeof r.status === 'string') ? 'results'
    : undefined;
  if (bad) throw usageError(`${flag}: run_results.json is not a whole eider run result (its "${bad}" is missing or malformed): run the command again, or give the folder of a finished run`, path);
  return json;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
