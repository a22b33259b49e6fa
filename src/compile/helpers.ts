import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Diagnostic } from '../errors.js';

export type HelperFn = (...args: unknown[]) => unknown;

/**
 * Imports `macros/*.js|*.mjs|*.ts`; every exported function becomes a Handlebars helper of the same name.
 * `fileOf` receives each helper's module file.
 */
export async function loadHelperModules(root: string, files: readonly string[], diagnostics: Diagnostic[], fileOf?: Map<string, string>): Promise<Map<string, HelperFn>> {
  const helpers = new Map<string, HelperFn>();
  for (const file of files) {
    let mod: Record<string, unknown>;
    try {
      mod = await importModule(join(root, file));
    } catch (e) {
      const { line, message } = loadError(join(root, file), e);
      diagnostics.push({ severity: 'error', file, line, message: `cannot load macro module: ${message}` });
      continue;
    }
    for (const [name, value] of Object.entries(mod)) {
      if (typeof value === 'function' && name !== 'default') {
        helpers.set(name, value as HelperFn);
        fileOf?.set(name, file);
      }
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

/**
 * Why a module did not load, and where: esbuild's (TypeScript) "file:line:col: ERROR: …", the module's own frame
 * in the stack, or for a syntax error in an ES module (whose stack has no location) Node's own syntax check.
 */
export function loadError(abs: string, e: unknown): { line?: number; message: string } {
  const message = String((e as Error)?.message ?? e);
  const esbuild = /^.*:(\d+):\d+: ERROR: (.*)$/m.exec(message);
  if (esbuild) return { line: Number(esbuild[1]), message: esbuild[2] };
  const at = new RegExp(`${abs.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+)`).exec(String((e as Error)?.stack ?? ''))?.[1];
  const checked = !at && e instanceof SyntaxError ? /^\[stdin\]:(\d+)$/m.exec(spawnSync(process.execPath, ['--input-type=module', '--check'], { input: readFileSync(abs, 'utf8'), encoding: 'utf8' }).stderr)?.[1] : undefined;
  const line = at ?? checked;
  return { line: line ? Number(line) : undefined, message: message.split('\n')[0] };
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
