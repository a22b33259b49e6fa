import { accessSync, closeSync, constants, existsSync, openSync, readdirSync, readSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { DuckDbAdapter, type DuckDbSession } from '../adapter/duckdb.js';
import { checkPredicate } from '../compile/check-statements.js';
import { didYouMean, usageError } from '../errors.js';
import { sqlErrorMessage } from '../execute/sql-errors.js';
import { unsupportedColumn, writeArrowFile } from '../export/arrow.js';
import { makeFolder } from '../folders.js';
import { openToRead } from '../publish/read.js';
import { quoteIdent, quoteLiteral } from '../types.js';
import { queryContext, wrap, type Query, type QueryOptions } from './query.js';
import { formatCount } from '../report/numbers.js';

export interface ExportOptions extends QueryOptions {
  readonly out: string;
  readonly format?: string;
  readonly where?: string;
  readonly partitionBy?: string;
}

const FORMATS = ['csv', 'json', 'json-array', 'parquet', 'arrow'] as const;
type Format = (typeof FORMATS)[number];
const BY_EXTENSION: Record<string, Format> = { '.csv': 'csv', '.json': 'json', '.jsonl': 'json', '.ndjson': 'json', '.parquet': 'parquet', '.arrow': 'arrow', '.feather': 'arrow', '.ipc': 'arrow' };
const EXTENSION: Record<Format, string> = { csv: '.csv', json: '.json', 'json-array': '.json', parquet: '.parquet', arrow: '.arrow' };
const COPY_OPTIONS: Record<Exclude<Format, 'arrow'>, string> = { csv: 'format csv, header true', json: 'format json', 'json-array': 'format json, array true', parquet: 'format parquet' };

/**
 * `export`: a model, a selection (one file per node in the --out folder) or an --inline query, read from the
 * target opened read-only, to CSV, JSON, Parquet (through DuckDB's COPY) or Arrow IPC (streamed from DuckDB's
 * chunks). Each file is written beside its destination under a temporary name and renamed over it when complete.
 */
export async function exportCommand(given: ExportOptions): Promise<number> {
  // `--out -`: standard output, as for most command-line tools.
  const opts = given.out === '-' ? { ...given, out: '/dev/stdout' } : given;
  const partitionBy = opts.partitionBy?.split(',').map((c) => c.trim()).filter(Boolean) ?? [];
  if (opts.format !== undefined && !(FORMATS as readonly string[]).includes(opts.format)) throw usageError(`--format must be one of ${FORMATS.join(', ')}, not "${opts.format}"${didYouMean(opts.format, FORMATS)}`);
  if (opts.partitionBy !== undefined && partitionBy.length === 0) throw usageError('--partition-by needs column names, e.g. --partition-by year,month');
  if (opts.where !== undefined) {
    const parser = await DuckDbAdapter.open({ path: ':memory:', threads: 1 });
    await checkPredicate(parser, '--where', opts.where).finally(() => parser.close());
  }
  const { ctx, queries } = await queryContext(opts, 'export', 'data');
  const several = queries.length > 1;
  const format = (opts.format as Format | undefined) ?? (several ? undefined : BY_EXTENSION[extname(opts.out).toLowerCase()]);
  if (!format) {
    throw usageError(several ? `exporting ${queries.length} nodes into the folder ${opts.out}: say which format with --format (${FORMATS.join(', ')})` : `cannot tell the format from "${opts.out}": use --format (${FORMATS.join(', ')}) or an extension (${Object.keys(BY_EXTENSION).join(' ')})`);
  }
  if (partitionBy.length > 0 && format !== 'parquet') throw usageError(`--partition-by writes Hive-partitioned Parquet folders: it needs --format parquet, not ${format}`);
  const outs = queries.map((q) => (several ? join(resolve(opts.out), partitionBy.length > 0 ? q.name : `${q.name}${EXTENSION[format]}`) : resolve(opts.out)));
  const destinations = outs.map(destinationOf);
  outs.forEach((out, i) => checkDestination(out, destinations[i].direct, partitionBy));

  const adapter = await openToRead(ctx.def.target, (line) => ctx.reporter.errorLine(line));
  // SIGINT/SIGTERM stop the running query; the file being written is removed, the files already written stay.
  let stoppedBy: NodeJS.Signals | undefined;
  const stop = (sig: NodeJS.Signals) => {
    stoppedBy = sig;
    adapter.interrupt();
  };
  process.on('SIGINT', stop).on('SIGTERM', stop);
  try {
    const s = adapter.sessions[0];
    // Every node is bound before any file is written: a --where or --partition-by that one of them cannot take
    // (exit 2) leaves no file behind.
    const sqls: string[] = [];
    try {
      for (const q of queries) sqls.push(await probe(s, q, opts.where, partitionBy));
    } catch (e) {
      if (!stoppedBy) throw e;
      ctx.reporter.errorLine(`interrupted by ${stoppedBy}: nothing was exported`);
      return stoppedBy === 'SIGINT' ? 130 : 143;
    }
    for (const [i, q] of queries.entries()) {
      try {
        const sql = sqls[i];
        const rows = await write(s, sql, format, partitionBy, destinations[i], () => stoppedBy !== undefined);
        const said = `Exported ${formatCount(rows)} row${rows === 1 ? '' : 's'} of ${q.name} to ${shown(outs[i])}${partitionBy.length > 0 ? '/' : ''} (${format})`;
        // Rows written to a pipe or a device (--out /dev/stdout) are the output: the summary goes to stderr.
        if (destinations[i].direct) ctx.reporter.errorLine(said);
        else ctx.reporter.line(said);
      } catch (e) {
        if (!stoppedBy) throw e;
        ctx.reporter.errorLine(`interrupted by ${stoppedBy}: ${q.name} was not exported (${shown(outs[i])} is as it was)`);
        return stoppedBy === 'SIGINT' ? 130 : 143;
      }
    }
  } finally {
    process.off('SIGINT', stop).off('SIGTERM', stop);
    await adapter.close();
  }
  return 0;
}

/**
 * The query with its filter, once DuckDB has bound it with no rows: a node that cannot be read (not built yet) is
 * exit 1; a --where or --partition-by naming what is not there is a command-line mistake (exit 2).
 */
async function probe(s: DuckDbSession, q: Query, where: string | undefined, partitionBy: readonly string[]): Promise<string> {
  let columns: string[];
  try {
    columns = (await s.queryJson(wrap(q, 'limit 0'))).columns;
  } catch (e) {
    const message = sqlErrorMessage(String((e as Error).message)).replace(/ Did you mean .*$/, '');
    throw new Error(`${q.name}: ${message}${/^Catalog Error: Table with name/.test(message) ? ` (build it first: eider build -s ${q.name})` : ''}`);
  }
  for (const c of partitionBy) if (!columns.includes(c)) throw usageError(`--partition-by: ${q.name} has no column "${c}"${didYouMean(c, columns)}`);
  if (where === undefined) return wrap(q);
  const sql = wrap(q, `where (${where}\n)`);
  try {
    await s.queryJson(`${sql} limit 0`);
  } catch (e) {
    throw usageError(`--where on ${q.name}: ${sqlErrorMessage(String((e as Error).message))}`);
  }
  return sql;
}

/**
 * Writes under a temporary name beside the destination, then renames it over the destination. Returns the rows
 * written. `stopped`: an interrupted stream of chunks ends early without an error, so it is asked before the rename.
 */
async function write(s: DuckDbSession, sql: string, format: Format, partitionBy: readonly string[], { path: dest, direct }: Destination, stopped: () => boolean): Promise<number> {
  if (direct) return writeThrough(s, sql, format, dest);
  makeFolder(dirname(dest));
  const staged = join(dirname(dest), `.${basename(dest)}.eider-export-${process.pid}`);
  rmSync(staged, { recursive: true, force: true });
  try {
    const partition = partitionBy.length > 0 ? `, partition_by (${partitionBy.map(quoteIdent).join(', ')})` : '';
    const rows = await writeTo(s, sql, format, partition, staged);
    if (stopped()) throw new Error('interrupted');
    if (partitionBy.length > 0) rmSync(dest, { recursive: true, force: true });
    renameSync(staged, dest);
    return rows;
  } catch (e) {
    rmSync(staged, { recursive: true, force: true });
    throw e;
  }
}

/** One query's rows into the file at `path`: Arrow IPC streamed from DuckDB's chunks, the others by DuckDB's COPY. */
async function writeTo(s: DuckDbSession, sql: string, format: Format, partition: string, path: string): Promise<number> {
  if (format !== 'arrow') return (await s.exec(`copy (\n${sql}\n) to ${quoteLiteral(path)} (${COPY_OPTIONS[format]}${partition})`)).rows ?? 0;
  const stream = await s.streamChunks(sql);
  const bad = unsupportedColumn(stream.names, stream.types);
  if (bad) throw usageError(`--format arrow: column ${bad} has a type eider does not write to Arrow IPC (supported: integers, FLOAT, DOUBLE, DECIMAL, VARCHAR, BOOLEAN, DATE, TIME, TIMESTAMP [WITH TIME ZONE]); cast it in an --inline query, or export to parquet`);
  return writeArrowFile(stream, path);
}

/**
 * Where an export's bytes go. A symbolic link is followed: the file (or folder) it names is replaced, the link
 * stays. A device, a pipe or a socket (a FIFO), and anything that exists under /dev or /proc (`/dev/stdout`
 * redirected to a file is a link to that file), is written through (`direct`): renaming a staged file over it
 * would replace it.
 */
interface Destination {
  /** Where the bytes go: a symbolic link followed to the file it names. */
  readonly path: string;
  /** A pipe, a device or a path under /dev or /proc: written through, never replaced. */
  readonly direct: boolean;
}

function destinationOf(out: string): Destination {
  const abs = resolve(out);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(abs);
  } catch {
    return { path: abs, direct: false }; // not there yet (or a link to nothing: replaced by the file)
  }
  if (/^\/(dev|proc)\//.test(abs) && !abs.startsWith('/dev/shm/')) return { path: abs, direct: true };
  if (st.isFile() || st.isDirectory()) return { path: realpathSync(abs), direct: false };
  return { path: abs, direct: true };
}

/**
 * A pipe, a device or a redirected stdout: the export is staged in the temporary folder, then its bytes are
 * appended to the destination (opened for appending: `>` has emptied a redirected file already, `>>` keeps what
 * was there) and the staged file removed.
 */
async function writeThrough(s: DuckDbSession, sql: string, format: Format, dest: string): Promise<number> {
  const staged = join(tmpdir(), `eider-export-${process.pid}-${Date.now()}${EXTENSION[format]}`);
  try {
    const rows = await writeTo(s, sql, format, '', staged);
    const to = openSync(dest, 'a');
    const from = openSync(staged, 'r');
    try {
      const buffer = Buffer.alloc(1 << 16);
      for (let n; (n = readSync(from, buffer, 0, buffer.length, null)) > 0; ) {
        try {
          writeSync(to, buffer, 0, n);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EPIPE') break; // the reader has had enough (`| head`)
          throw e;
        }
      }
    } finally {
      closeSync(from);
      closeSync(to);
    }
    return rows;
  } finally {
    rmSync(staged, { force: true });
  }
}

/**
 * The destination can be written: its folder exists or can be made, and is writable; a file is not a folder and
 * the other way round. A partitioned export replaces only an earlier export (a folder of `<column>=…` folders).
 */
function checkDestination(dest: string, direct: boolean, partitionBy: readonly string[]): void {
  const dir = dirname(dest);
  const fail = (why: string) => usageError(`--out: cannot write ${shown(dest)}: ${why}`);
  // A pipe or a device is written as it is (its folder, /dev, need not be writable).
  if (direct) {
    if (partitionBy.length > 0) throw fail('a partitioned export writes a folder of files, and this is a pipe or a device');
    return;
  }
  try {
    makeFolder(dir);
    accessSync(dir, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw fail(code === 'EACCES' || code === 'EPERM' ? `no permission to write in ${shown(dir)}` : code === 'EEXIST' || code === 'ENOTDIR' ? 'a file stands where a folder is needed' : code === 'EROFS' ? 'read-only file system' : String((e as Error).message));
  }
  if (!existsSync(dest)) return;
  const folder = statSync(dest).isDirectory();
  if (!folder && isDuckDbFile(dest)) throw fail('it is a DuckDB database file (a warehouse, maybe this target\'s own): eider export never replaces one');
  if (partitionBy.length === 0 && folder) throw fail('it is a folder');
  if (partitionBy.length > 0 && !folder) throw fail('it is a file, and a partitioned export writes a folder');
  if (partitionBy.length > 0 && readdirSync(dest).some((f) => !f.startsWith(`${partitionBy[0]}=`))) {
    throw fail(`it holds files that are not an earlier export partitioned by ${partitionBy[0]} (eider replaces only those): pick another --out`);
  }
}

/** DuckDB's file format: the magic bytes `DUCK` at offset 8 of the main header. */
function isDuckDbFile(path: string): boolean {
  const head = Buffer.alloc(12);
  try {
    const fd = openSync(path, 'r');
    try {
      readSync(fd, head, 0, 12, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
  return head.subarray(8, 12).toString('latin1') === 'DUCK';
}

function shown(path: string): string {
  const r = relative(process.cwd(), path);
  return r && !r.startsWith('..') ? r : path;
}
