import { existsSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { docsFolder, generateDocs } from '../docs/generate.js';
import { serveDocs } from '../docs/serve.js';
import { usageError } from '../errors.js';
import { select } from '../graph/select.js';
import { findProjectRoot, targetFolder } from '../project/load.js';
import { makeReporter } from '../report/reporter.js';
import { compileContext, type GlobalOptions, type SelectOptions } from './context.js';

/** `docs generate`: the documentation site in target/docs (see src/docs/generate.ts). */
export async function docsGenerateCommand(opts: GlobalOptions & SelectOptions): Promise<number> {
  const started = Date.now();
  const ctx = await compileContext(opts);
  const all = !opts.select?.length && !opts.exclude?.length;
  const selected = all ? new Set(Object.keys(ctx.manifest.nodes)) : select(ctx.manifest, ctx.dag, opts.select, opts.exclude, '--select', ctx.selectMethods);
  const dir = await generateDocs(ctx, selected);
  const shown = relative(process.cwd(), dir) || '.';
  ctx.reporter.line(`Wrote the documentation site of ${selected.size} node${selected.size === 1 ? '' : 's'} to ${shown}/index.html in ${((Date.now() - started) / 1000).toFixed(2)}s (open it, or run eider docs serve)`);
  return 0;
}

export interface ServeOptions {
  readonly projectDir?: string;
  readonly port?: number;
  readonly host?: string;
}

/** `docs serve`: target/docs over HTTP until Ctrl-C. */
export async function docsServeCommand(opts: ServeOptions): Promise<number> {
  const root = findProjectRoot(opts.projectDir ?? process.cwd());
  const dir = docsFolder(targetFolder(root));
  if (!existsSync(dir) || !statSync(dir).isDirectory() || !existsSync(`${dir}/index.html`)) {
    throw usageError(`there is no documentation site in ${relative(process.cwd(), dir) || dir}: run eider docs generate first`);
  }
  return serveDocs(dir, opts.host ?? '127.0.0.1', opts.port ?? 8080, makeReporter());
}
