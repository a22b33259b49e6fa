import { basename, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Diagnostic } from '../errors.js';

export type HelperFn = (...args: unknown[]) => unknown;

/** Imports `macros/*.js|*.mjs|*.ts`; every exported function becomes a Handlebars helper of the same name. */
export async function loadHelperModules(root: string, files: readonly string[], diagnostics: Diagnostic[]): Promise<Map<string, HelperFn>> {
  const helpers = new Map<string, HelperFn>();
  for (const file of files) {
    let mod: Record<string, unknown>;
    try {
      mod = await importModule(join(root, file));
    } catch (e) {
      const line = /:(\d+)(?::\d+)?\)?$/m.exec(String((e as Error).stack ?? ''))?.[1];
      diagnostics.push({ severity: 'error', file, line: line ? Number(line) : undefined, message: `cannot load macro module: ${(e as Error).message.split('\n')[0]}` });
      continue;
    }
    for (const [name, value] of Object.entries(mod)) {
      if (typeof value === 'function' && name !== 'default') helpers.set(name, value as HelperFn);
    }
    if (helpers.size === 0 && Object.keys(mod).length === 0) {
      diagnostics.push({ severity: 'warning', file, message: `macro module ${basename(file)} exports no functions` });
    }
  }
  return helpers;
}

export async function importModule(abs: string): Promise<Record<string, unknown>> {
  if (extname(abs) === '.ts') {
    const { tsImport } = await import('tsx/esm/api');
    const mod = (await tsImport(pathToFileURL(abs).href, import.meta.url)) as Record<string, unknown>;
    // A .ts file outside an ESM package loads as CommonJS: its exports arrive under `default`.
    const inner = mod.default as Record<string, unknown> | undefined;
    return inner && typeof inner === 'object' && ('default' in inner || Object.keys(mod).length === 1) ? inner : mod;
  }
  return (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
}
