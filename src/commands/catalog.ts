import { existsSync } from 'node:fs';
import type { Session } from '../adapter/adapter.js';
import { databaseKind } from '../adapter/databases.js';
import type { Artifacts } from '../artifacts/artifacts.js';
import { catalogJson, type CatalogRelation } from '../artifacts/catalog.js';
import { usageError } from '../errors.js';
import { HISTORY_SCHEMA } from '../publish/history.js';
import { openInPlace } from '../publish/in-place.js';
import type { Reporter } from '../report/reporter.js';
import { quoteIdent, quoteLiteral, quoteRelation, type Manifest, type TargetDef } from '../types.js';
import { EIDER_VERSION } from '../version.js';
import { compileContext, type GlobalOptions } from './context.js';

/** `catalog`: compile → open the target read-only → read its relations from DuckDB → target/catalog.json. */
export async function catalogCommand(opts: GlobalOptions): Promise<number> {
  const { manifest, artifacts, reporter } = await compileContext(opts);
  await writeCatalog(manifest, artifacts, reporter);
  return 0;
}

/**
 * Reads the target's relations through a read-only connection (no lock: readers and a running prod build are
 * never blocked, and it never blocks them) and writes target/catalog.json. Also run by `build --catalog`.
 */
export async function writeCatalog(manifest: Manifest, artifacts: Artifacts, reporter: Reporter): Promise<void> {
  const target = manifest.target;
  checkCatalogTarget(target);
  if (databaseKind(target.path) === 'file' && !existsSync(target.path)) throw usageError(`target "${target.name}": its file does not exist yet, there is nothing to catalog (build it first)`, target.lines?.file ?? 'profiles/profiles.yml', target.lines?.path);
  const adapter = await openInPlace(target, 1, (w) => reporter.warning(w), true);
  try {
    const relations = await readRelations(adapter.sessions[0]);
    const body = catalogJson(relations, manifest, { duckdbVersion: await adapter.version(), generatedAt: new Date().toISOString() }, EIDER_VERSION);
    const path = artifacts.catalog(body);
    reporter.line(`Catalogued ${relations.length} relation${relations.length === 1 ? '' : 's'} of ${target.name} into ${path}`);
  } finally {
    await adapter.close();
  }
}

/** A target in memory has nothing to catalog: `build --catalog` says so before it builds. */
export function checkCatalogTarget(target: TargetDef): void {
  if (databaseKind(target.path) === 'memory') throw usageError(`target "${target.name}" is :memory:, there is no database to catalog`, target.lines?.file ?? 'profiles/profiles.yml', target.lines?.path);
}

/** The project's tables and views in the target (not eider's own `eider` schema), as DuckDB describes them. */
export async function readRelations(s: Session): Promise<CatalogRelation[]> {
  const here = `database_name = current_database() and schema_name <> ${quoteLiteral(HISTORY_SCHEMA)} and not internal`;
  const relations = await s.query(
    `select schema_name as s, table_name as n, 'table' as type, comment from duckdb_tables() where ${here} union all select schema_name, view_name, 'view', comment from duckdb_views() where ${here} order by s, n`,
  );
  const columns = new Map<string, CatalogRelation['columns'][number][]>();
  for (const c of await s.query(`select schema_name as s, table_name as n, column_name, data_type, is_nullable, comment from duckdb_columns() where ${here} order by s, n, column_index`)) {
    const key = JSON.stringify([c.s, c.n]);
    if (!columns.has(key)) columns.set(key, []);
    columns.get(key)!.push({ name: String(c.column_name), dataType: String(c.data_type), nullable: Boolean(c.is_nullable), comment: (c.comment as string | null) ?? null });
  }
  const tables = relations.filter((r) => r.type === 'table').map((r) => ({ schema: String(r.s), name: String(r.n) }));
  const bytes = await storageBytes(s, tables);
  const out: CatalogRelation[] = [];
  for (const r of relations) {
    const rel = { schema: String(r.s), name: String(r.n) };
    const table = r.type === 'table';
    const rowCount = table ? Number((await s.query(`select count(*) as n from ${quoteRelation(rel)}`))[0].n) : null;
    out.push({ ...rel, type: table ? 'table' : 'view', comment: (r.comment as string | null) ?? null, rowCount, bytes: table ? (bytes.get(JSON.stringify([rel.schema, rel.name])) ?? null) : null, columns: columns.get(JSON.stringify([r.s, r.n])) ?? [] });
  }
  return out;
}

/**
 * What each table's data takes in the file, estimated from `pragma_storage_info`: a segment counts from its
 * offset to the next segment's in the same block (the last one in a block, to the block's end), plus any
 * further whole blocks it spans. Constant segments and data not yet checkpointed (in the WAL) take none. A
 * table DuckDB cannot describe (its name holds a `"`, or a database that keeps no blocks) has none.
 */
async function storageBytes(s: Session, tables: ReadonlyArray<{ schema: string; name: string }>): Promise<Map<string, number>> {
  const blockSize = Number((await s.query('select block_size from pragma_database_size() where database_name = current_database()'))[0]?.block_size ?? 0);
  const segments: Array<{ table: string; block: number; offset: number; extra: number }> = [];
  const bytes = new Map<string, number>();
  if (!blockSize) return bytes;
  for (const t of tables) {
    const table = JSON.stringify([t.schema, t.name]);
    const rows = await s
      .query(`select block_id, block_offset, len(additional_block_ids) as extra from pragma_storage_info(${quoteLiteral(`${quoteIdent(t.schema)}.${quoteIdent(t.name)}`)}) where persistent and block_id >= 0`)
      .catch(() => undefined);
    if (!rows) continue;
    bytes.set(table, 0);
    for (const r of rows) segments.push({ table, block: Number(r.block_id), offset: Number(r.block_offset), extra: Number(r.extra ?? 0) });
  }
  const byBlock = new Map<number, typeof segments>();
  for (const seg of segments) {
    if (!byBlock.has(seg.block)) byBlock.set(seg.block, []);
    byBlock.get(seg.block)!.push(seg);
  }
  for (const list of byBlock.values()) {
    list.sort((a, b) => a.offset - b.offset);
    list.forEach((seg, i) => bytes.set(seg.table, bytes.get(seg.table)! + (list[i + 1]?.offset ?? blockSize) - seg.offset + seg.extra * blockSize));
  }
  return bytes;
}
