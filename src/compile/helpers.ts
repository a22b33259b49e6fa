import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join } from 'node:path';
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

/**
 * Imports a .js/.mjs module, or a .ts one without a build step (tsx). A .ts file in an ES-module package
 * (`"type": "module"`) loads as ESM; elsewhere it loads as CommonJS through tsx's require hook, which keeps
 * the file's own path and line numbers in stack traces (tsx's ESM API would run it from a data: URL).
 */
export async function importModule(abs: string): Promise<Record<string, unknown>> {
  if (extname(abs) === '.ts') {
    if (packageType(dirname(abs)) === 'module') {
      const { tsImport } = await import('tsx/esm/api');
      return (await tsImport(pathToFileURL(abs).href, import.meta.url)) as Record<string, unknown>;
    }
    if (!cjsHook) {
      const { register } = require('tsx/cjs/api') as typeof import('tsx/cjs/api');
      register();
      cjsHook = true;
    }
    return require(abs) as Record<string, unknown>;
  }
  return (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
}

const require = createRequire(import.meta.url);
let cjsHook = false;

/** The "type" of the nearest package.json above a folder. */
function packageType(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const file = join(d, 'package.json');
    if (existsSync(file)) {
      try {
        return (JSON.parse(readFileSync(file, 'utf8')) as { type?: string }).type;
      } catch {
        return undefined;
      }
    }
    if (dirname(d) === d) return undefined;
  }
}
