import { databaseKind } from '../adapter/databases.js';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Row, Session } from '../adapter/adapter.js';
import { DuckDbAdapter } from '../adapter/duckdb.js';
import { failOnErrors, usageError, type Diagnostic } from '../errors.js';
import { findProjectRoot, loadProject } from '../project/load.js';
import { parseProject } from '../project/parse.js';
import { HISTORY_SCHEMA } from '../publish/history.js';
import { checkTargetFolder } from '../publish/in-place.js';
import { acquireLock } from '../publish/lock.js';
import { fsyncPath } from '../publish/swap.js';
import { AUDIT_SCHEMA } from '../plan/plan.js';
import { piiColumns, type ColumnRules, type PiiRule } from '../plan/pii-columns.js';
import { relationKey } from '../adapter/adapter.js';
import { quoteIdent, quoteLiteral, type Manifest, type Origin, type TargetDef } from '../types.js';
import { compileContext, type GlobalOptions } from './context.js';

export interface CloneOptions extends GlobalOptions {
  readonly from: string;
  readonly to: string;
}

const SOURCE = 'eider_clone_source';
/** eider's own schemas, never cloned: the target's run history and stored test failures. */
const SKIP = `('${HISTORY_SCHEMA}', '${AUDIT_SCHEMA}')`;

/**
 * `clone --from prod --to staging`: copies every table and view of one target into a fresh file for
 * another, masking the columns whose YAML says `meta: {pii: hash | redact | null}` (and their namesakes
 * downstream, see piiColumns), then renames it over the destination. The source is only ever attached read-only.
 */
export async function cloneCommand(opts: CloneOptions): Promise<number> {
  if (opts.from === opts.to) throw usageError('--from and --to name the same target');
  // The project as compiled for --from names the relations the source file holds (a target may set its own schema).
  const ctx = await compileContext({ ...opts, target: opts.from });
  const from = ctx.manifest.target;
  const to = resolveTarget(opts, opts.to);
  for (const t of [from, to]) {
    const kind = databaseKind(t.path);
    if (kind === 'memory') throw usageError(`target "${t.name}" is in memory; clone needs a file`);
    if (kind !== 'file') throw usageError(`target "${t.name}" is ${kind === 'motherduck' ? 'a MotherDuck database' : 'a DuckLake catalog'}, not a local file: clone copies local DuckDB files`);
  }
  if (!existsSync(from.path)) throw usageError(`target "${from.name}" has no database file yet (${from.path})`);
  const diagnostics: Diagnostic[] = [];
  const masks = piiColumns(ctx.manifest, ctx.dag, diagnostics);
  failOnErrors(diagnostics);
  checkTargetFolder(to);
  const lock = acquireLock(to.path, `eider clone --from ${from.name}`);
  const staged = join(dirname(to.path), `.${basename(to.path)}.build-clone-${process.pid}.duckdb`);
  rmSync(staged, { force: true });
  const adapter = await DuckDbAdapter.open({ path: staged, threads: 1, settings: to.settings });
  let copied: { tables: number; masked: number };
  let views: number;
  try {
    const s = adapter.sessions[0];
    await s.exec(`attach ${quoteLiteral(from.path)} as ${SOURCE} (read_only)`);
    const known = declaredRelations(ctx.manifest);
    const unknown = (schema: string, name: string) => {
      if (known.has(relationKey({ schema, name }))) return false;
      ctx.reporter.errorLine(`warning: ${from.name} holds ${schema}.${name}, which no model, seed, snapshot or source of the project declares: not cloned (its columns' pii is unknown)`);
      return true;
    };
    copied = await copyTables(s, masks, unknown);
    views = await copyViews(s, masks, viewOrigins(ctx.manifest), unknown);
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
  const { tables, masked } = copied;
  ctx.reporter.line(`Cloned ${tables} tables and ${views} views from ${from.name} to ${to.name}, masking ${masked} column${masked === 1 ? '' : 's'} (meta.pii).`);
  return 0;
}

/** Copies every table of the source but eider's own, each pii column through its mask. */
async function copyTables(s: Session, masks: ReadonlyMap<string, ColumnRules>, unknown: (schema: string, name: string) => boolean): Promise<{ tables: number; masked: number }> {
  const rels = (await s.query(`select table_schema as s, table_name as n from information_schema.tables where table_catalog = '${SOURCE}' and table_type = 'BASE TABLE' and table_schema not in ${SKIP} order by 1, 2`)).filter(
    (r) => !unknown(String(r.s), String(r.n)),
  );
  let masked = 0;
  for (const r of rels) {
    const [schema, name] = [String(r.s), String(r.n)];
    const rules = masks.get(relationKey({ schema, name }));
    const select = (await columnsOf(s, SOURCE, schema, name)).map(({ c, t }) => {
      const rule = rules?.get(String(c).toLowerCase());
      if (rule) masked++;
      return `${maskExpr(quoteIdent(String(c)), String(t), rule)} as ${quoteIdent(String(c))}`;
    });
    await s.exec(`create schema if not exists ${quoteIdent(schema)}`);
    await s.exec(`create table ${quoteIdent(schema)}.${quoteIdent(name)} as select ${select.join(', ')} from ${SOURCE}.${quoteIdent(schema)}.${quoteIdent(name)}`);
  }
  return { tables: rels.length, masked };
}

/** Re-creates every view from its SQL, so it reads the masked tables by the same names; then checks it. */
async function copyViews(s: Session, masks: ReadonlyMap<string, ColumnRules>, origins: ReadonlyMap<string, Origin>, unknown: (schema: string, name: string) => boolean): Promise<number> {
  const views = (await s.query(`select schema_name as s, view_name as n, sql from duckdb_views() where database_name = '${SOURCE}' and not internal and schema_name not in ${SKIP}`)).filter(
    (v) => !unknown(String(v.s), String(v.n)),
  );
  // A view may read another view: create them in rounds until every one exists (or one cannot be made).
  let pending = views;
  while (pending.length > 0) {
    const failed: typeof views = [];
    let error: unknown;
    for (const v of pending) {
      await s.exec(`create schema if not exists ${quoteIdent(String(v.s))}`);
      await s.exec(`set schema = ${quoteLiteral(String(v.s))}`);
      await s.exec(String(v.sql)).catch((e: unknown) => {
        failed.push(v);
        error = e;
      });
    }
    if (failed.length === pending.length) throw error;
    pending = failed;
  }
  for (const v of views) {
    const key = relationKey({ schema: String(v.s), name: String(v.n) });
    const rules = masks.get(key);
    if (rules) await checkView(s, String(v.s), String(v.n), rules, origins.get(key));
  }
  return views.length;
}

function columnsOf(s: Session, catalog: string | undefined, schema: string, name: string): Promise<Row[]> {
  const where = `table_catalog = ${catalog ? quoteLiteral(catalog) : 'current_database()'} and table_schema = ${quoteLiteral(schema)} and table_name = ${quoteLiteral(name)}`;
  return s.query(`select column_name as c, data_type as t from information_schema.columns where ${where} order by ordinal_position`);
}

/** The relations the project declares (models, seeds, snapshots, sources in the file): the only ones cloned. */
function declaredRelations(m: Manifest): Set<string> {
  const out = new Set<string>();
  for (const n of Object.values(m.nodes)) if ((n.kind === 'model' || n.kind === 'seed' || n.kind === 'source') && n.relation) out.add(relationKey(n.relation));
  return out;
}

/** Where each model's view is declared, to point at it when it would leak. */
function viewOrigins(m: Manifest): Map<string, Origin> {
  const out = new Map<string, Origin>();
  for (const n of Object.values(m.nodes)) if (n.kind === 'model') out.set(relationKey(n.relation), n.origin);
  return out;
}

/** hash keeps joins working (equal values hash equal); redact and null drop the value. */
function maskExpr(col: string, type: string, rule: PiiRule | undefined): string {
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

/**
 * A view is re-created from its SQL over the masked tables, so it is masked only through them: each of its pii
 * columns must show none of the values the source's view shows, or nothing is cloned.
 */
async function checkView(s: Session, schema: string, name: string, rules: ColumnRules, origin: Origin | undefined): Promise<void> {
  const rel = `${quoteIdent(schema)}.${quoteIdent(name)}`;
  for (const { c } of await columnsOf(s, undefined, schema, name)) {
    const col = quoteIdent(String(c));
    if (!rules.has(String(c).toLowerCase())) continue;
    const [row] = await s.query(`select count(*)::int as n from (select ${col} from ${rel} where ${col} is not null intersect select ${col} from ${SOURCE}.${rel})`);
    if (Number(row.n) > 0) {
      throw usageError(`view ${schema}.${name} would show unmasked values of its pii column ${String(c)} in the clone: a view reads the masked tables, so declare meta.pii on the columns it reads (on its seed, source or table)`, origin?.file, origin?.line);
    }
  }
}

function resolveTarget(opts: GlobalOptions, name: string): TargetDef {
  const diagnostics: Diagnostic[] = [];
  const root = findProjectRoot(opts.projectDir ?? process.cwd());
  const def = parseProject(loadProject(root, opts.profilesDir), { target: name }, diagnostics);
  failOnErrors(diagnostics);
  return def!.target;
}
