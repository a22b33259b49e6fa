import { createHash } from 'node:crypto';
import { relationKey } from '../adapter/adapter.js';
import { HISTORY_SCHEMA } from '../publish/history.js';
import { quoteIdent, quoteLiteral, quoteRelation, type Manifest, type ModelNode, type Node, type Relation, type SeedNode } from '../types.js';

/**
 * Data subjects (privacy requests). A node marks the columns that carry a subject's key with
 * `meta: {subject_key: customer_id}` (the column has the key's name), `meta: {subject_key: {customer_id: cust_id}}`
 * (another name), a list of keys, or on a column: `columns: [{name: cust_id, meta: {subject_key: customer_id}}]`.
 * `eider erase --key customer_id=42` deletes the rows carrying the key in every marked table, incremental model,
 * snapshot and seed; a node with columns marked `meta: {erase: nullify}` keeps those rows and sets those columns
 * to NULL instead. Keys are matched as text (`cast(column as varchar)`), through a salted sha256 so the value itself
 * never reaches a statement or a file.
 */

/** Where one node carries subject keys, and what an erasure does to its rows. */
export interface SubjectColumns {
  /** Key name (lower case) → the node's column that carries it. */
  readonly keys: ReadonlyMap<string, string>;
  /** Columns set to NULL instead of deleting the row (`meta: {erase: nullify}`); empty: rows are deleted. */
  readonly nullify: readonly string[];
}

export const SUBJECT_META = 'subject_key';
export const ERASE_META = 'erase';

/** The node's subject columns and the mistakes in how they are marked. */
export function subjectColumns(node: Node): { readonly subjects?: SubjectColumns; readonly problems: readonly string[] } {
  if (node.kind !== 'model' && node.kind !== 'seed') return { problems: [] };
  const problems: string[] = [];
  const keys = new Map<string, string>();
  const add = (key: string, column: string) => keys.set(key.toLowerCase(), column);
  const written = node.meta[SUBJECT_META];
  const pairs = written === undefined ? [] : nodeKeys(written);
  if (pairs) for (const [k, c] of pairs) add(k, c);
  else problems.push(`meta.subject_key must be a key name (the column of that name carries it), a list of them, or a mapping of key to column, like {customer_id: cust_id}`);
  const nullify: string[] = [];
  for (const c of node.columns) {
    const key = c.meta[SUBJECT_META];
    if (typeof key === 'string' && key !== '') add(key, c.name);
    else if (key !== undefined) problems.push(`column ${c.name}: meta.subject_key must be the name of the key the column carries`);
    const erase = c.meta[ERASE_META];
    if (erase === 'nullify') nullify.push(c.name);
    else if (erase !== undefined) problems.push(`column ${c.name}: meta.erase must be nullify (set the column to NULL on erasure, keeping the row), not ${JSON.stringify(erase)}`);
  }
  if (nullify.length > 0 && keys.size === 0) problems.push(`columns ${nullify.join(', ')} are marked meta.erase: nullify, but no column carries a subject key (meta.subject_key)`);
  return { subjects: keys.size > 0 ? { keys, nullify } : undefined, problems };
}

/**
 * A relation an erasure changes: a marked node that keeps rows of its own, or (no node) a table of the file no node
 * owns — a removed, renamed or disabled model's, a test's stored failing rows — that has a column of the key's name.
 */
export interface ErasedRelation {
  readonly node?: ModelNode | SeedNode;
  /** Why a table without a node is erased, for the output. */
  readonly unowned?: string;
  readonly relation: Relation;
  readonly column: string;
  readonly nullify: readonly string[];
}

/** Whether the node's rows live in the target file (views and ephemeral models are recomputed from them; external files are not). */
export function keepsRows(node: Node): node is ModelNode | SeedNode {
  return node.kind === 'seed' || (node.kind === 'model' && ['table', 'incremental', 'snapshot'].includes(node.materialized));
}

/** Every subject key some node of the project marks, sorted. */
export function subjectKeys(m: Manifest): string[] {
  return [...new Set(Object.values(m.nodes).flatMap((n) => [...(subjectColumns(n).subjects?.keys.keys() ?? [])]))].sort();
}

/** The relations that carry `key` and keep rows, and the marked nodes that do not (views, external models). */
export function relationsCarrying(m: Manifest, key: string): { readonly tables: ErasedRelation[]; readonly others: Node[] } {
  const tables: ErasedRelation[] = [];
  const others: Node[] = [];
  for (const n of Object.values(m.nodes)) {
    const s = subjectColumns(n).subjects;
    const column = s?.keys.get(key.toLowerCase());
    if (!s || column === undefined) continue;
    if (keepsRows(n)) tables.push({ node: n, relation: n.relation, column, nullify: s.nullify });
    else others.push(n);
  }
  return { tables: tables.sort((a, b) => a.node!.id.localeCompare(b.node!.id)), others };
}

/** The relations (`schema.name`, lower case) that a node of the project builds, loads or declares as a source. */
export function ownedRelations(m: Manifest): Set<string> {
  return new Set(Object.values(m.nodes).flatMap((n) => ((keepsRows(n) || n.kind === 'source') && n.relation ? [relationKey(n.relation)] : [])));
}

/** sha256 (hex) of the file's salt and the key's value: what eider.erasures keeps instead of the value. */
export function keyHash(salt: string, value: string): string {
  return createHash('sha256').update(salt + value).digest('hex');
}

/** `column` matches a hash: computed by DuckDB from the same salt and the column as text. */
export function matchesSql(column: string, saltSql: string, hashesSql: string): string {
  return `sha256(${saltSql} || cast(${quoteIdent(column)} as varchar)) in (${hashesSql})`;
}

/** The rows of a relation an erasure changes: those matching, and for a nullifying relation only those not nulled yet. */
export function erasureWhere(t: Pick<ErasedRelation, 'nullify'>, match: string): string {
  // Rows already nulled do not count again (the key column may be kept, so they still match).
  return t.nullify.length === 0 ? match : `(${match}) and (${t.nullify.map((c) => `${quoteIdent(c)} is not null`).join(' or ')})`;
}

/** The statement that erases the matching rows: delete them, or set the nullified columns to NULL. */
export function eraseSql(t: Pick<ErasedRelation, 'relation' | 'nullify'>, match: string): string {
  const where = erasureWhere(t, match);
  if (t.nullify.length === 0) return `delete from ${quoteRelation(t.relation)} where ${where}`;
  return `update ${quoteRelation(t.relation)} set ${t.nullify.map((c) => `${quoteIdent(c)} = null`).join(', ')} where ${where}`;
}

/** Where a file records its erasures (one row per relation and erasure) and its salt, beside its run history. */
export const ERASURES = `${HISTORY_SCHEMA}.erasures`;
export const SALT = `${HISTORY_SCHEMA}.erasure_salt`;
export const ERASURES_DDL = [
  `create schema if not exists ${HISTORY_SCHEMA}`,
  `create table if not exists ${ERASURES} (erased_at timestamptz, key_column varchar, key_hash varchar, relation varchar, action varchar, rows bigint, release_id varchar)`,
  `create table if not exists ${SALT} (salt varchar)`,
];

/** The hashes of the subjects erased from this file for `key`, as a subquery. */
export function erasedHashesSql(key: string): string {
  return `select key_hash from ${ERASURES} where key_column = ${quoteLiteral(key.toLowerCase())}`;
}

/** The statements that erase again, after a build of the node, every subject this file has erased (none: unmarked). */
export function reEraseSql(node: Node): string[] {
  const s = subjectColumns(node).subjects;
  if (!s || !keepsRows(node)) return [];
  return [...s.keys].map(([key, column]) => eraseSql({ relation: node.relation, nullify: s.nullify }, matchesSql(column, `(select min(salt) from ${SALT})`, erasedHashesSql(key))));
}

/** A node's `meta.subject_key` as [key, column] pairs: a name, a list of names, or a mapping; undefined when malformed. */
function nodeKeys(written: unknown): Array<[string, string]> | undefined {
  const name = (v: unknown): v is string => typeof v === 'string' && v !== '';
  if (name(written)) return [[written, written]];
  if (Array.isArray(written) && written.length > 0 && written.every(name)) return written.map((k) => [k, k]);
  if (isRecord(written) && Object.keys(written).length > 0 && Object.values(written).every(name)) return Object.entries(written as Record<string, string>);
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
