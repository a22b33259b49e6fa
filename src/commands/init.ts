import { accessSync, constants, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { usageError } from '../errors.js';
import { fsProblem, makeFolder } from '../folders.js';
import { scaffold } from '../project/scaffold.js';
import { ConsoleReporter } from '../report/console.js';

export interface InitOptions {
  readonly name?: string;
  readonly force?: boolean;
}

/** A project name is also its profile's key: a letter or underscore, then letters, digits and underscores. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `init [dir]`: writes a new project into `dir` (made if need be); a folder with files in it only with --force. */
export async function initCommand(dir: string | undefined, opts: InitOptions): Promise<number> {
  const root = resolve(dir ?? '.');
  const name = projectName(root, opts.name);
  if (existsSync(root) && !statSync(root).isDirectory()) throw usageError(`${dir} is a file, not a folder`);
  const files = scaffold(name);
  const present = existsSync(root) ? readdirSync(root).filter((f) => f !== '.git') : [];
  const overwritten = Object.keys(files).filter((f) => existsSync(join(root, f)) && statSync(join(root, f)).isFile());
  if (present.length > 0 && !opts.force) {
    const would = overwritten.length > 0 ? `, overwriting ${overwritten.join(', ')}` : '; it overwrites none of them';
    throw usageError(`${shown(root)} is not empty: eider init writes a project only into an empty folder (with --force it writes its files beside those there, never deleting any${would})`);
  }
  // Before anything is written: a file where one of ours needs a folder, or a folder where we write a file.
  const clashes = Object.keys(files).flatMap((path) => {
    const parts = path.split('/');
    const folders = parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
    const fileInWay = folders.find((f) => existsSync(join(root, f)) && !statSync(join(root, f)).isDirectory());
    if (fileInWay) return [`${fileInWay} is a file, and eider init needs a folder there (for ${path})`];
    return existsSync(join(root, path)) && statSync(join(root, path)).isDirectory() ? [`${path} is a folder, and eider init writes a file there`] : [];
  });
  if (clashes.length > 0) throw usageError(`${shown(root)}: ${[...new Set(clashes)].join('; ')}: nothing was written`);
  try {
    makeFolder(root);
    accessSync(root, constants.W_OK);
  } catch (e) {
    throw usageError(`cannot write the project into ${shown(root)}: ${fsProblem(e)}`);
  }
  for (const [path, text] of Object.entries(files)) {
    makeFolder(dirname(join(root, path)));
    writeFileSync(join(root, path), text);
  }
  const reporter = new ConsoleReporter();
  if (overwritten.length > 0) reporter.errorLine(`warning: overwrote ${overwritten.join(', ')}`);
  reporter.line(`Created the eider project "${name}" in ${shown(root)}: ${Object.keys(files).length} files.`);
  reporter.line(`Next: ${root === process.cwd() ? '' : `cd ${shellWord(shown(root))} && `}eider build   (builds warehouse/dev.duckdb and runs every test)`);
  return 0;
}

/** --name, or the folder's name made into one (lower case, other characters as _). */
function projectName(root: string, given: string | undefined): string {
  if (given !== undefined) {
    if (!NAME.test(given)) throw usageError(`--name "${given}" cannot name a project: use letters, digits and _, starting with a letter or _ (it is also the profile's key)`);
    return given;
  }
  const derived = basename(root).toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  if (!NAME.test(derived)) return `eider_${derived || 'project'}`.replace(/_+$/, '');
  return derived;
}

function shown(path: string): string {
  const r = relative(process.cwd(), path);
  return r === '' ? '.' : r.startsWith('..') ? path : r;
}

/** A path as one shell word: quoted when it holds anything but letters, digits and `_-./+,@:`. */
function shellWord(path: string): string {
  return /^[\w\-./+,@:]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}
