import { randomBytes } from 'node:crypto';
import { relationKey, type Session } from '../adapter/adapter.js';
import { usageError } from '../errors.js';
import { AUDIT_SCHEMA } from '../plan/plan.js';
import { HISTORY_SCHEMA } from '../publish/history.js';
import { displayRelation, quoteLiteral, quoteRelation, type Relation } from '../types.js';
import { ERASURES, ERASURES_DDL, SALT, erasureWhere, eraseSql, keyHash, matchesSql, type ErasedRelation } from './subjects.js';

/**
 * One erasure applied to one DuckDB file (the target's release, or a kept one): every marked relation's rows that
 * carry the key are deleted or nulled in one transaction, and each relation's count recorded in eider.erasures
 * with the key's salted hash — never the value. The value reaches DuckDB only as that hash.
 */

export interface Erasure {
  /** The subject key (lower case), as `--key` names it. */
  readonly key: string;
  readonly value: string;
  readonly erasedAt: string;
  /** The release that carries the erasure (the new one of a swap target, the in-place record of a dev one). */
  readonly releaseId: string;
}

/** Which tables of a file no node owns, and the key to look for in their columns. */
export interface Unowned {
  /** The subject key (lower case): a column of that name (any case) carries it. */
  readonly key: string;
  /** `ownedRelations` of the project. */
  readonly owned: ReadonlySet<string>;
}

/** What an erasure did (or would do) to one relation. */
export interface RelationOutcome {
  readonly relation: string;
  /** Why a table no node owns was erased (printed beside it). */
  readonly unowned?: string;
  readonly action: 'deleted' | 'nulled';
  readonly rows: number;
  /** The relation is not in this file (not built yet, or not in an older release). */
  readonly absent?: boolean;
}

/**
 * Counts the rows an erasure would change, changing nothing (`--dry-run`). Throws a UsageError when a marked column
 * is not in its relation.
 */
export async function countErasure(s: Session, tables: readonly ErasedRelation[], value: string, unowned: Unowned): Promise<RelationOutcome[]> {
  const { all, present } = await tablesIn(s, tables, true, unowned);
  const salt = randomBytes(16).toString('hex');
  const out: RelationOutcome[] = [];
  for (const t of all) {
    if (!present.has(t)) {
      out.push(outcome(t, 0, true));
      continue;
    }
    const [r] = await s.query(`select count(*)::bigint as n from ${quoteRelation(t.relation)} where ${erasureWhere(t, match(t, salt, value))}`);
    out.push(outcome(t, Number(r.n)));
  }
  return out;
}

/**
 * Erases the key's rows from every marked relation of the session's file, and from the tables no node owns that have
 * a column of the key's name, and records it, in one transaction; when
 * no row carries the key, the transaction is rolled back: nothing is changed or recorded.
 * `strict`: a marked column missing from its relation is a project mistake (the current release); in an older kept
 * release, a relation without it is passed over.
 */
export async function eraseInFile(s: Session, tables: readonly ErasedRelation[], e: Erasure, strict: boolean, owned: ReadonlySet<string>): Promise<RelationOutcome[]> {
  const { all, present } = await tablesIn(s, tables, strict, { key: e.key, owned });
  const out: RelationOutcome[] = [];
  await s.exec('begin transaction');
  try {
    for (const ddl of ERASURES_DDL) await s.exec(ddl);
    const salt = await fileSalt(s);
    const hash = keyHash(salt, e.value);
    for (const t of all) {
      const rows = present.has(t) ? ((await s.exec(eraseSql(t, matchesSql(t.column, quoteLiteral(salt), quoteLiteral(hash))))).rows ?? 0) : 0;
      out.push(outcome(t, rows, !present.has(t)));
    }
    if (erasedRows(out) === 0) {
      // Nothing carries the value: no record of a hash that erases nothing (a mistyped value), no change at all.
      await s.exec('rollback');
      return out;
    }
    const values = out.map((o) => `(${[e.erasedAt, e.key, hash, o.relation, o.action].map(quoteLiteral).join(', ')}, ${o.rows}, ${quoteLiteral(e.releaseId)})`);
    await s.exec(`insert into ${ERASURES} values ${values.join(', ')}`);
    await s.exec('commit');
  } catch (err) {
    await s.exec('rollback').catch(() => undefined);
    throw err;
  }
  return out;
}

/** How many rows the outcomes changed. */
export function erasedRows(outcomes: readonly RelationOutcome[]): number {
  return outcomes.reduce((n, o) => n + o.rows, 0);
}

/** The file's salt for key hashes, made (random) on its first erasure and carried by every release copied from it. */
async function fileSalt(s: Session): Promise<string> {
  const [r] = await s.query(`select min(salt) as salt from ${SALT}`);
  if (r?.salt) return String(r.salt);
  const salt = randomBytes(16).toString('hex');
  await s.exec(`insert into ${SALT} values (${quoteLiteral(salt)})`);
  return salt;
}

function match(t: ErasedRelation, salt: string, value: string): string {
  return matchesSql(t.column, quoteLiteral(salt), quoteLiteral(keyHash(salt, value)));
}

function outcome(t: ErasedRelation, rows: number, absent = false): RelationOutcome {
  return { relation: displayRelation(t.relation), action: t.nullify.length > 0 ? 'nulled' : 'deleted', rows, ...(absent ? { absent } : {}), ...(t.unowned ? { unowned: t.unowned } : {}) };
}

/**
 * The marked relations that are tables of this file, each checked to have its marked columns, then the tables of
 * the file no node owns (outside the eider schema) that have a column of the key's name. A missing column is a
 * UsageError at the node's file when `strict`; otherwise that relation is passed over.
 */
async function tablesIn(s: Session, tables: readonly ErasedRelation[], strict: boolean, unowned: Unowned): Promise<{ all: ErasedRelation[]; present: Set<ErasedRelation> }> {
  const rows = await s.query(
    `select c.table_schema as s, c.table_name as t, c.column_name as c from information_schema.columns c join information_schema.tables t using (table_catalog, table_schema, table_name) where c.table_catalog = current_database() and t.table_type = 'BASE TABLE' order by 1, 2, c.ordinal_position`,
  );
  const columns = new Map<string, Map<string, string>>();
  for (const r of rows) {
    const k = relationKey({ schema: String(r.s), name: String(r.t) });
    if (!columns.has(k)) columns.set(k, new Map());
    columns.get(k)!.set(String(r.c).toLowerCase(), String(r.c));
  }
  const present = new Set<ErasedRelation>();
  for (const t of tables) {
    const have = columns.get(relationKey(t.relation));
    if (!have) continue;
    const missing = [t.column, ...t.nullify].filter((c) => !have.has(c.toLowerCase()));
    if (missing.length === 0) present.add(t);
    else if (strict && t.node) throw usageError(`${t.node.kind} "${t.node.name}": ${displayRelation(t.relation)} has no column ${missing.join(', ')}, which its meta marks (subject_key / erase); build it, or fix the mark`, t.node.origin.file, t.node.origin.line);
  }
  const orphans: ErasedRelation[] = [];
  for (const r of rows) {
    const relation = { schema: String(r.s), name: String(r.t) };
    const column = String(r.c);
    if (column.toLowerCase() !== unowned.key || relation.schema.toLowerCase() === HISTORY_SCHEMA || unowned.owned.has(relationKey(relation))) continue;
    const why = relation.schema.toLowerCase() === AUDIT_SCHEMA ? 'failing rows a test stored' : 'no node owns it';
    orphans.push({ relation, column, nullify: [], unowned: `${why}: erased by its ${column} column` });
  }
  for (const o of orphans) present.add(o);
  return { all: [...tables, ...orphans], present };
}

