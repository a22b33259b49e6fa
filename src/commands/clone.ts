import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DuckDbAdapter } from '../adapter/duckdb.js';
import { failOnErrors, usageError, type Diagnostic } from '../errors.js';
import { findProjectRoot, loadProject } from '../project/load.js';
import { parseProject } from '../project/parse.js';
import { HISTORY_SCHEMA } from '../publish/history.js';
import { acquireLock } from '../publish/lock.js';
import { fsyncPath } from '../publish/swap.js';
import { AUDIT_SCHEMA } from '../plan/plan.js';
import { quoteIdent, quoteLiteral, type ColumnDef, type Manifest, type TargetDef } from '../types.js';
import { compileContext, type GlobalOptions } from './context.js';

export interface CloneOptions extends GlobalOptions {
  readonly from: string;
  readonly to: string;
}

const SOURCE = 'eider_clone_source';
const MASKS = ['hash', 'redact', 'null'] as const;

/**
 * `clone --from prod --to staging`: copies every table and view of one target into a fresh file for
 * another, masking the columns whose YAML says `meta: {pii: hash | redact | null}`, then renames it
 * over the destination. The source is only ever attached read-only.
 */
export async function cloneCommand(opts: CloneOptions): Promise<number> {
  if (opts.from === opts.to) throw usageError('--from and --to name the same target');
  const ctx = await compileContext({ ...opts, target: opts.to });
  const from = resolveTarget(opts, opts.from);
  const to = ctx.manifest.target;
  if (!existsSync(from.path)) throw usageError(`target "${from.name}" has no database file yet (${from.path})`);
  if (to.path === ':memory:') throw usageError(`target "${to.name}" is in memory; clone needs a file`);
  const masks = maskedColumns(ctx.manifest);
  const lock = acquireLock(to.path, `eider clone --from ${from.name}`);
  mkdirSync(dirname(to.path), { recursive: true });
  const staged = join(dirname(to.path), `.${basename(to.path)}.build-clone-${process.pid}.duckdb`);
  rmSync(staged, { force: true });
  const adapter = await DuckDbAdapter.open({ path: staged, threads: 1, settings: to.settings });
  let tables = 0;
  let views = 0;
  let masked = 0;
  try {
    const s = adapter.sessions[0];
    await s.exec(`attach ${quoteLiteral(from.path)} as ${SOURCE} (read_only)`);
    const skip = new Set([HISTORY_SCHEMA, AUDIT_SCHEMA]);
    const rels = (await s.query(`select table_schema as s, table_name as n, table_type as t from information_schema.tables where table_catalog = '${SOURCE}' order by table_type, table_schema, table_name`)).filter(
      (r) => !skip.has(String(r.s)),
    );
    for (const r of rels.filter((x) => x.t === 'BASE TABLE')) {
      const schema = String(r.s);
      const name = String(r.n);
      const cols = await s.query(`select column_name as c, data_type as t from information_schema.columns where table_catalog = '${SOURCE}' and table_schema = ${quoteLiteral(schema)} and table_name = ${quoteLiteral(name)} order by ordinal_position`);
      const rules = masks.get(`${schema}.${name}`.toLowerCase()) ?? new Map<string, string>();
      const select = cols.map((c) => {
        const col = String(c.c);
        const rule = rules.get(col.toLowerCase());
        if (rule) masked++;
        return `${maskExpr(quoteIdent(col), String(c.t), rule)} as ${quoteIdent(col)}`;
      });
      await s.exec(`create schema if not exists ${quoteIdent(schema)}`);
      await s.exec(`create table ${quoteIdent(schema)}.${quoteIdent(name)} as select ${select.join(', ')} from ${SOURCE}.${quoteIdent(schema)}.${quoteIdent(name)}`);
      tables++;
    }
    // Views last: they read the (masked) tables by the same names.
    const viewSql = await s.query(`select schema_name as s, sql from duckdb_views() where database_name = '${SOURCE}' and not internal and schema_name not in ('${HISTORY_SCHEMA}', '${AUDIT_SCHEMA}')`);
    for (const v of viewSql) {
      await s.exec(`create schema if not exists ${quoteIdent(String(v.s))}`);
      await s.exec(`set schema = ${quoteLiteral(String(v.s))}`);
      await s.exec(String(v.sql));
      views++;
    }
    await s.exec(`detach ${SOURCE}`);
    await s.exec('checkpoint');
    await adapter.close();
    fsyncPath(staged);
    rmSync(`${to.path}.wal`, { force: true });
    renameSync(staged, to.path);
    fsyncPath(dirname(to.path));
  } catch (e) {
    await adapter.close().catch(() => undefined);
    rmSync(staged, { force: true });
    throw e;
  } finally {
    lock.release();
  }
  ctx.reporter.line(`Cloned ${tables} tables and ${views} views from ${from.name} to ${to.name}, masking ${masked} column${masked === 1 ? '' : 's'} (meta.pii).`);
  return 0;
}

/** hash keeps joins working (equal values hash equal); redact and null drop the value. */
function maskExpr(col: string, type: string, rule: string | undefined): string {
  switch (rule) {
    case 'hash':
      return `md5(cast(${col} as varchar))`;
    case 'redact':
      return /CHAR|TEXT|STRING/i.test(type) ? `case when ${col} is null then null else '*****' end` : `cast(null as ${type})`;
    case 'null':
      return `cast(null as ${type})`;
    default:
      return col;
  }
}

/** relation → column → rule, from every model, seed and source column with meta.pii. */
function maskedColumns(m: Manifest): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  const problems: Diagnostic[] = [];
  for (const n of Object.values(m.nodes)) {
    if (n.kind !== 'model' && n.kind !== 'seed' && n.kind !== 'source') continue;
    if (!n.relation) continue;
    const rules = new Map<string, string>();
    for (const c of n.columns as readonly ColumnDef[]) {
      if (!('pii' in c.meta)) continue;
      const pii = c.meta.pii ?? 'null'; // `pii: null` in YAML is the null rule
      if (!(MASKS as readonly unknown[]).includes(pii)) {
        problems.push({ severity: 'error', file: n.origin.file, line: n.origin.line, message: `column ${c.name} of ${n.name}: meta.pii must be hash, redact or null, not ${JSON.stringify(pii)}` });
      } else rules.set(c.name.toLowerCase(), pii as string);
    }
    if (rules.size > 0) out.set(`${n.relation.schema}.${n.relation.name}`.toLowerCase(), rules);
  }
  failOnErrors(problems);
  return out;
}

function resolveTarget(opts: GlobalOptions, name: string): TargetDef {
  const diagnostics: Diagnostic[] = [];
  const root = findProjectRoot(opts.projectDir ?? process.cwd());
  const def = parseProject(loadProject(root, opts.profilesDir), { target: name }, diagnostics);
  failOnErrors(diagnostics);
  return def!.target;
}
