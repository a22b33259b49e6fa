import { join } from 'node:path';
import type { Diagnostic } from '../errors.js';
import { checkConfig, type ConfigLayer } from '../project/config.js';
import type { ModelDef } from '../project/parse.js';
import { importModule, loadError } from './helpers.js';

/** What a JavaScript/TypeScript model declares about itself, read from its exports without running it. */
export interface JsModelFacts {
  readonly refs: readonly string[];
  readonly sources: ReadonlyArray<readonly [string, string]>;
  readonly config: ConfigLayer;
}

/**
 * `export const refs = ['stg_orders']`, `export const sources = [['vyapar', 'orders']]`,
 * `export const config = { schema: 'ml' }` and a default export `async ({ ref, source, aq }) => table`.
 * The module is imported (TypeScript through tsx, no build step) but its function is not called.
 */
export async function readJsModel(root: string, model: ModelDef, diagnostics: Diagnostic[]): Promise<JsModelFacts | undefined> {
  const file = model.file.path;
  const err = (message: string, line?: number) => diagnostics.push({ severity: 'error', file, line, message });
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(join(root, file));
  } catch (e) {
    const { line, message } = loadError(join(root, file), e);
    err(`cannot load the model: ${message}`, line);
    return undefined;
  }
  if (typeof mod.default !== 'function') {
    err('a JavaScript/TypeScript model exports a default function: export default async function ({ ref, source, aq }) { … }');
    return undefined;
  }
  const refs = mod.refs ?? [];
  if (!Array.isArray(refs) || !refs.every((r) => typeof r === 'string')) err('export const refs must be a list of model names');
  const sourcesRaw = mod.sources ?? [];
  const sources: Array<readonly [string, string]> = [];
  if (!Array.isArray(sourcesRaw)) err("export const sources must be a list like [['vyapar', 'orders']]");
  else {
    for (const s of sourcesRaw) {
      const pair = typeof s === 'string' ? s.split('.') : s;
      if (Array.isArray(pair) && pair.length === 2 && pair.every((x) => typeof x === 'string')) sources.push([pair[0], pair[1]] as const);
      else err(`sources: ${JSON.stringify(s)} is not ['source', 'table'] or 'source.table'`);
    }
  }
  const values: Record<string, unknown> = {};
  const config = mod.config ?? {};
  if (typeof config !== 'object' || config === null) err('export const config must be an object');
  else {
    for (const [k, v] of Object.entries(config)) {
      const problem = checkConfig('model', k, v);
      if (problem) err(problem);
      else if (k === 'materialized' && v !== 'table') err('a JavaScript/TypeScript model is materialized as a table');
      else values[k] = v;
    }
  }
  return { refs: Array.isArray(refs) ? (refs as string[]) : [], sources, config: { values, origin: { file } } };
}
