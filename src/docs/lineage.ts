// Column-level lineage from DuckDB's own parser: each model's compiled SELECT goes through `json_serialize_sql`,
// and this module walks that AST (CTEs, subqueries, joins, stars, set operations) to find, for every output
// column, the columns of upstream relations its values are computed from. What it cannot follow is `unknown`
// with the reason, never a guess.
import type { ColumnLineage, ColumnLineageEntry, ColumnSource } from './site/types.js';
import { deserializeSql, parseSql } from '../adapter/duckdb.js';

export interface LineageModel {
  readonly unique_id: string;
  readonly compiled_code: string;
}

/**
 * A relation the compiled SQL can read, keyed in the map by `${schema}.${name}` in lower case (any catalog prefix
 * in the SQL — "eider_target", "eider_defer", a database alias — is ignored when looking up). `columns` empty:
 * not known (not built yet); a model's are then its own traced output columns.
 */
export interface LineageRelation {
  readonly unique_id: string;
  readonly columns: readonly string[];
}

/** A node of DuckDB's JSON AST (ParsedExpression, QueryNode, TableRef): only the fields read below are used. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Ast = Record<string, any>;

/** What a column's values are computed from: upstream columns, or why that is not known. */
interface Traced {
  readonly sources: readonly ColumnSource[];
  readonly unknown?: string;
}

/** One output column of a query. `star`: columns of unknown number and names (a `*` that could not be expanded). */
interface OutColumn {
  readonly name?: string; // none for an expression without an alias: DuckDB names it by its SQL text (`expr`)
  readonly expr?: Ast;
  readonly traced: Traced;
  readonly star?: true;
}

/** A FROM item in scope: its name (alias) and columns. */
interface Binding {
  readonly name: string;
  readonly columns: readonly OutColumn[];
}

/** A FROM clause: its items, the right-hand copies USING/NATURAL joins hide, and the left-hand ones they merge. */
interface From {
  readonly bindings: readonly Binding[];
  readonly hidden: ReadonlySet<OutColumn>;
  readonly merged: ReadonlyMap<OutColumn, Traced>;
  readonly uncertain?: string; // set when the FROM clause's visible columns cannot be known (NATURAL join over a star)
}

/** Where names resolve: a FROM clause, the select list's earlier aliases, lambda parameters, then the enclosing query. */
interface Scope {
  readonly from: From;
  readonly aliases: OutColumn[];
  readonly lambda?: ReadonlySet<string>;
  readonly parent?: Scope;
  readonly ctes: Ctes;
}

/** CTEs in scope; `undefined` while the CTE itself is being traced (a recursive reference). */
type Ctes = ReadonlyMap<string, readonly OutColumn[] | undefined>;

const NONE: Traced = { sources: [] };
const EMPTY_FROM: From = { bindings: [], hidden: new Set(), merged: new Map() };
const unknown = (reason: string): Traced => ({ sources: [], unknown: reason });
const starOf = (reason: string): OutColumn[] => [{ name: '*', traced: unknown(reason), star: true }];
const lower = (s: string) => s.toLowerCase();

/** The union of what several values are computed from; unknown as soon as one of them is. */
function union(parts: readonly Traced[]): Traced {
  const bad = parts.find((p) => p.unknown !== undefined);
  if (bad) return bad;
  const seen = new Set<string>();
  const sources: ColumnSource[] = [];
  for (const p of parts) {
    for (const s of p.sources) {
      const key = `${s.node}\u0000${s.column}`;
      if (!seen.has(key)) {
        seen.add(key);
        sources.push(s);
      }
    }
  }
  return { sources };
}

/**
 * Column lineage of every model; models whose output columns are unknown to `relations` are traced from their SELECT list alone.
 * A column named `*` stands for columns that could not be listed (`select *` over a table function, SQL that does not parse).
 */
export async function projectColumnLineage(models: readonly LineageModel[], relations: ReadonlyMap<string, LineageRelation>): Promise<ColumnLineage> {
  // `select 1` last: the template a lone expression is put in to have DuckDB print it.
  const asts = (await parseSql([...models.map((m) => m.compiled_code), 'select 1'])) as Ast[];
  const tracer = new Tracer(models, asts, relations);
  const unnamed = models.flatMap((m) => tracer.unnamed(m.unique_id));
  const template = asts[models.length];
  const texts = await deserializeSql(
    unnamed.map((c) => {
      template.statements[0].node.select_list = [{ ...c.expr, alias: '' }];
      // Positions are dropped: "none" is 2^64-1, which a JavaScript number does not hold.
      return JSON.stringify(template, (key, value: unknown) => (key === 'query_location' ? undefined : value));
    }),
  );
  const names = new Map(unnamed.flatMap((c, i) => (texts[i] === undefined ? [] : [[c, texts[i]!.replace(/^SELECT /, '')] as const])));
  const out: ColumnLineage = {};
  for (const m of models) out[m.unique_id] = tracer.entries(m.unique_id, names);
  return out;
}

class Tracer {
  private readonly ast = new Map<string, Ast>();
  private readonly traced = new Map<string, readonly OutColumn[] | Error | undefined>(); // undefined: being traced
  private readonly columnsOf = new Map<string, readonly string[]>(); // unique_id → known (catalog) columns

  constructor(models: readonly LineageModel[], asts: readonly Ast[], private readonly relations: ReadonlyMap<string, LineageRelation>) {
    models.forEach((m, i) => this.ast.set(m.unique_id, asts[i]));
    for (const r of relations.values()) if (r.columns.length > 0) this.columnsOf.set(r.unique_id, r.columns);
  }

  /** The output columns of a model not in the catalog that DuckDB names by their SQL text. */
  unnamed(id: string): OutColumn[] {
    const out = this.model(id);
    return out instanceof Error || this.columnsOf.has(id) ? [] : out.filter((c) => c.name === undefined && c.expr !== undefined);
  }

  /** The lineage entries of a model: its known columns in order if `relations` has them, else its traced SELECT list. */
  entries(id: string, names: ReadonlyMap<OutColumn, string>): ColumnLineageEntry[] {
    const out = this.model(id);
    const known = this.columnsOf.get(id);
    const entry = (column: string, t: Traced): ColumnLineageEntry => (t.unknown !== undefined ? { column, sources: [], unknown: t.unknown } : { column, sources: t.sources });
    if (out instanceof Error) return (known ?? ['*']).map((c) => entry(c, unknown(out.message)));
    if (!known) return out.map((c, i) => entry(c.name ?? names.get(c) ?? `#${i + 1}`, c.traced));
    const star = out.find((c) => c.star);
    // The built relation has the SELECT's columns by position (CREATE TABLE AS renames duplicate names).
    if (!star && out.length === known.length) return known.map((c, i) => entry(c, out[i].traced));
    return known.map((c) => {
      const match = out.find((o) => !o.star && o.name !== undefined && lower(o.name) === lower(c));
      return entry(c, match?.traced ?? star?.traced ?? unknown('not in the compiled SELECT'));
    });
  }

  /** A model's traced output columns (memoized; an Error when its SQL cannot be traced at all). */
  private model(id: string): readonly OutColumn[] | Error {
    if (this.traced.has(id)) return this.traced.get(id) ?? starOf('a cycle between models');
    this.traced.set(id, undefined);
    const result = this.traceModel(id);
    this.traced.set(id, result);
    return result;
  }

  private traceModel(id: string): readonly OutColumn[] | Error {
    const parsed = this.ast.get(id)!;
    if (parsed.error) return new Error(parsed.error_type === 'parser' ? 'parse error' : 'not a SELECT');
    const statements = (parsed.statements ?? []) as Ast[];
    if (statements.length !== 1) return new Error(statements.length === 0 ? 'no SELECT' : 'more than one statement');
    try {
      return this.query(statements[0].node as Ast, new Map(), undefined);
    } catch (e) {
      // An AST shape this walker does not know (a newer DuckDB): the model is unknown rather than the docs failing.
      return new Error(`unsupported SQL (${(e as Error).message})`);
    }
  }

  /** The output columns of a relation the SQL reads by name, or undefined when `relations` does not know it. */
  private relation(key: string): readonly OutColumn[] | undefined {
    const rel = this.relations.get(key);
    if (!rel) return undefined;
    const of = (column: string): OutColumn => ({ name: column, traced: { sources: [{ node: rel.unique_id, column }] } });
    if (rel.columns.length > 0) return rel.columns.map(of);
    if (!this.ast.has(rel.unique_id)) return starOf(`columns of ${rel.unique_id} are not known`);
    const upstream = this.model(rel.unique_id);
    if (upstream instanceof Error) return starOf(`columns of ${rel.unique_id} are not known (${upstream.message})`);
    return upstream.map((c) => (c.star ? starOf(`columns of ${rel.unique_id} are not known`)[0] : c.name === undefined ? { expr: c.expr, traced: unknown(`an unnamed column of ${rel.unique_id}`) } : of(c.name)));
  }

  // ---- queries ----

  private query(node: Ast, ctes: Ctes, outer: Scope | undefined): readonly OutColumn[] {
    const scoped = this.withCtes(node, ctes, outer);
    switch (node.type) {
      case 'SELECT_NODE':
        return this.select(node, scoped, outer);
      case 'SET_OPERATION_NODE':
      case 'RECURSIVE_CTE_NODE': {
        const branches = ((node.children as Ast[] | undefined) ?? [node.left, node.right]).map((b) => this.query(b, scoped, outer));
        if (node.setop_type === 'UNION_BY_NAME') return byName(branches);
        // EXCEPT's values are the first branch's; the others only remove rows (like WHERE), so they are not sources.
        return byPosition(node.setop_type === 'EXCEPT' ? branches.slice(0, 1) : branches);
      }
      default:
        return starOf(`unsupported query ${String(node.type)}`);
    }
  }

  private withCtes(node: Ast, ctes: Ctes, outer: Scope | undefined): Ctes {
    const list = (node.cte_map?.map ?? []) as Ast[];
    if (list.length === 0) return ctes;
    const scoped = new Map(ctes);
    for (const { key, value } of list) {
      const name = lower(String(key));
      scoped.set(name, undefined);
      scoped.set(name, renamed(this.query(value.query.node as Ast, scoped, outer), (value.aliases ?? []) as string[]));
    }
    return scoped;
  }

  private select(node: Ast, ctes: Ctes, outer: Scope | undefined): OutColumn[] {
    const scope: Scope = { from: this.from(node.from_table as Ast | undefined, ctes, outer), aliases: [], parent: outer, ctes };
    const out: OutColumn[] = [];
    for (const item of node.select_list as Ast[]) {
      if (item.class === 'STAR') out.push(...this.star(item, scope));
      else {
        const { traced, name } = this.expr(item, scope);
        const col: OutColumn = item.alias || name !== undefined ? { name: item.alias || name, traced } : { expr: item, traced };
        out.push(col);
        scope.aliases.push(col);
      }
    }
    return out;
  }

  /** `*`, `t.*`, `* EXCLUDE/REPLACE/RENAME`, `COLUMNS(*)`. */
  private star(item: Ast, scope: Scope): OutColumn[] {
    if (item.columns && item.expr) return starOf('COLUMNS(...)');
    if (item.unpacked) return starOf('*COLUMNS(...)');
    const { from } = scope;
    let picked: Array<{ binding: string; col: OutColumn }>;
    if (item.relation_name) {
      const b = from.bindings.find((x) => x.name === lower(item.relation_name as string));
      if (!b) return starOf(`no FROM item "${String(item.relation_name)}"`);
      picked = b.columns.map((col) => ({ binding: b.name, col }));
    } else {
      if (from.uncertain) return starOf(from.uncertain);
      picked = from.bindings.flatMap((b) => b.columns.filter((c) => !from.hidden.has(c)).map((c) => ({ binding: b.name, col: { ...c, traced: from.merged.get(c) ?? c.traced } })));
    }
    const excluded = new Set(((item.exclude_list ?? []) as string[]).map(lower));
    const qualified = ((item.qualified_exclude_list ?? []) as Ast[]).map((q) => ({ table: lower(String(q.table ?? '')), column: lower(String(q.column)) }));
    const replace = new Map(((item.replace_list ?? []) as Ast[]).map((r) => [lower(String(r.key)), r.value as Ast]));
    const rename = new Map(((item.rename_list ?? []) as Ast[]).map((r) => [lower(String(r.key.column)), String(r.value)]));
    const out: OutColumn[] = [];
    for (const { binding, col } of picked) {
      if (col.star || col.name === undefined) {
        out.push(col);
        continue;
      }
      const name = lower(col.name);
      if (excluded.has(name) || qualified.some((q) => q.column === name && (q.table === '' || q.table === binding))) continue;
      const by = replace.get(name);
      out.push({ name: rename.get(name) ?? col.name, traced: by ? this.expr(by, scope).traced : col.traced });
    }
    return out;
  }

  // ---- FROM ----

  private from(ref: Ast | undefined, ctes: Ctes, outer: Scope | undefined): From {
    if (!ref || ref.type === 'EMPTY') return EMPTY_FROM;
    const one = (name: string, columns: readonly OutColumn[]): From => ({ ...EMPTY_FROM, bindings: [{ name: lower(name), columns: renamed(columns, (ref.column_name_alias ?? []) as string[]) }] });
    switch (ref.type) {
      case 'BASE_TABLE': {
        const table = String(ref.table_name);
        const name = ref.alias || table;
        if (!ref.schema_name && !ref.catalog_name && ctes.has(lower(table))) return one(name, ctes.get(lower(table)) ?? starOf('recursive CTE'));
        const key = lower(`${ref.schema_name || 'main'}.${table}`);
        return one(name, this.relation(key) ?? starOf(`relation ${key} is not known`));
      }
      case 'SUBQUERY':
        return one(ref.alias || 'unnamed_subquery', this.query(ref.subquery.node as Ast, ctes, outer));
      case 'EXPRESSION_LIST': {
        const scope: Scope = { from: EMPTY_FROM, aliases: [], parent: outer, ctes };
        const rows = ref.values as Ast[][];
        const columns = (rows[0] ?? []).map((_, i) => ({ name: `col${i}`, traced: union(rows.map((r) => this.expr(r[i], scope).traced)) }));
        return one(ref.alias || 'valueslist', columns);
      }
      case 'TABLE_FUNCTION':
        return one(ref.alias || String(ref.function?.function_name ?? ''), starOf('table function'));
      case 'JOIN':
        return this.join(ref, ctes, outer);
      default:
        return one(ref.alias || '', starOf(`unsupported FROM item ${String(ref.type)}`));
    }
  }

  private join(ref: Ast, ctes: Ctes, outer: Scope | undefined): From {
    const left = this.from(ref.left as Ast, ctes, outer);
    // The right side may refer to the left one (LATERAL).
    const right = this.from(ref.right as Ast, ctes, { from: left, aliases: [], parent: outer, ctes });
    if (ref.join_type === 'SEMI' || ref.join_type === 'ANTI') return left;
    const hidden = new Set([...left.hidden, ...right.hidden]);
    const merged = new Map([...left.merged, ...right.merged]);
    const bindings = [...left.bindings, ...right.bindings];
    let uncertain = left.uncertain ?? right.uncertain;
    let shared = (ref.using_columns ?? []) as string[];
    if (ref.ref_type === 'NATURAL') {
      if ([...left.bindings, ...right.bindings].some((b) => b.columns.some((c) => c.star))) uncertain ??= 'NATURAL join over a relation with unknown columns';
      const names = (f: From) => new Set(f.bindings.flatMap((b) => b.columns.filter((c) => !f.hidden.has(c) && c.name !== undefined).map((c) => lower(c.name!))));
      const rightNames = names(right);
      shared = [...names(left)].filter((n) => rightNames.has(n));
    }
    for (const name of shared) {
      const l = visible(left, lower(name));
      const r = visible(right, lower(name));
      if (l.length !== 1 || r.length !== 1) {
        uncertain ??= `USING column "${name}" not found once on each side`;
        continue;
      }
      // The joined column equals both sides' (FULL joins coalesce them): it is computed from both.
      merged.set(l[0], union([left.merged.get(l[0]) ?? l[0].traced, right.merged.get(r[0]) ?? r[0].traced]));
      hidden.add(r[0]);
    }
    return { bindings, hidden, merged, uncertain };
  }

  // ---- expressions ----

  /** What an expression is computed from, and the name DuckDB gives it when it has no alias (column references only). */
  private expr(e: Ast, scope: Scope): { traced: Traced; name?: string } {
    const all = (list: readonly (Ast | null | undefined)[]) => ({ traced: union(list.filter((x): x is Ast => !!x).map((x) => this.expr(x, scope).traced)) });
    switch (e.class) {
      case 'CONSTANT':
        return { traced: NONE };
      case 'COLUMN_REF': {
        const names = e.column_names as string[];
        const { traced, name } = resolve(names.map(lower), scope);
        return { traced, name: name ?? names[names.length - 1] };
      }
      case 'FUNCTION': // aggregates included: their FILTER and ORDER BY are not what the value is computed from
      case 'OPERATOR':
      case 'CONJUNCTION':
        return all(e.children ?? []);
      case 'WINDOW': // arguments only: PARTITION BY, ORDER BY and the frame are not what the value is computed from
        return all([...(e.children ?? []), e.offset_expr, e.default_expr]);
      case 'CASE':
        return all([...(e.case_checks as Ast[]).flatMap((c) => [c.when_expr, c.then_expr]), e.else_expr]);
      case 'CAST':
      case 'COLLATE':
        return all([e.child]);
      case 'COMPARISON':
        return all([e.left, e.right]);
      case 'BETWEEN':
        return all([e.input, e.lower, e.upper]);
      case 'LAMBDA': {
        const params = e.lhs.class === 'COLUMN_REF' ? [e.lhs] : ((e.lhs.children ?? []) as Ast[]);
        const lambda = new Set(params.map((p) => lower(String((p.column_names as string[])[0]))));
        return { traced: this.expr(e.expr as Ast, { from: EMPTY_FROM, aliases: [], lambda, parent: scope, ctes: scope.ctes }).traced };
      }
      case 'SUBQUERY':
        return { traced: this.subquery(e, scope) };
      case 'STAR':
        return { traced: unknown(e.columns ? 'COLUMNS(...)' : '* in an expression') };
      default:
        return { traced: unknown(`unsupported expression ${String(e.class)}`) };
    }
  }

  private subquery(e: Ast, scope: Scope): Traced {
    if (e.subquery_type !== 'SCALAR' && e.subquery_type !== 'ANY') return unknown(`${String(e.subquery_type)} subquery`);
    const out = this.query(e.subquery.node as Ast, scope.ctes, scope);
    if (out.length !== 1 || out[0].star) return unknown('subquery without exactly one column');
    return e.subquery_type === 'ANY' ? union([this.expr(e.child as Ast, scope).traced, out[0].traced]) : out[0].traced;
  }
}

/** The columns of a FROM clause an unqualified name can mean. */
function visible(from: From, name: string): OutColumn[] {
  return from.bindings.flatMap((b) => b.columns.filter((c) => !c.star && !from.hidden.has(c) && c.name !== undefined && lower(c.name) === name));
}

/**
 * A column reference: `col`, `t.col`, `schema.t.col` (or a struct field `col.field`). An unqualified name is the
 * one FROM item column of that name, else an earlier select-list alias, else the enclosing query's; DuckDB's
 * order of trying each reading is followed.
 */
function resolve(names: readonly string[], scope: Scope): { traced: Traced; name?: string } {
  if (names.length === 1) return unqualified(names[0], scope);
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    for (let k = Math.min(names.length - 2, 2); k >= 0; k--) {
      const b = s.from.bindings.find((x) => x.name === names[k]);
      if (!b) continue;
      const col = b.columns.find((c) => !c.star && c.name !== undefined && lower(c.name) === names[k + 1]);
      if (col) return { traced: col.traced, name: k + 2 === names.length ? col.name : names[names.length - 1] };
      const star = b.columns.find((c) => c.star);
      if (star) return { traced: star.traced };
    }
  }
  // A struct field of an unqualified column: computed from that column.
  const { traced } = unqualified(names[0], scope);
  return { traced: traced.unknown === `column "${names[0]}" not found` ? unknown(`column "${names.join('.')}" not found`) : traced, name: names[names.length - 1] };
}

function unqualified(name: string, scope: Scope): { traced: Traced; name?: string } {
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    if (s.lambda?.has(name)) return { traced: NONE }; // a lambda parameter: an element of a list already counted
    const from = s.from;
    const found = visible(from, name);
    if (found.length === 1) return { traced: from.merged.get(found[0]) ?? found[0].traced, name: found[0].name };
    if (found.length > 1) return { traced: unknown(`ambiguous column "${name}"`) };
    if (from.uncertain) return { traced: unknown(from.uncertain) };
    const star = from.bindings.flatMap((b) => b.columns).find((c) => c.star);
    if (star) return { traced: star.traced };
    const alias = [...s.aliases].reverse().find((c) => c.name !== undefined && lower(c.name) === name);
    if (alias) return { traced: alias.traced, name: alias.name };
  }
  return { traced: unknown(`column "${name}" not found`) };
}

/** Renames the first columns (`t(a, b)`, `WITH x(a, b)`); unknown when a star hides which columns those are. */
function renamed(columns: readonly OutColumn[], aliases: readonly string[]): readonly OutColumn[] {
  if (aliases.length === 0) return columns;
  if (columns.slice(0, aliases.length).some((c) => c.star)) return starOf('column aliases over a star');
  return columns.map((c, i) => (i < aliases.length ? { ...c, name: aliases[i] } : c));
}

/** UNION/INTERSECT: column i is computed from every branch's column i, named as in the first branch. */
function byPosition(branches: ReadonlyArray<readonly OutColumn[]>): readonly OutColumn[] {
  const [first] = branches;
  if (branches.some((b) => b.some((c) => c.star))) return starOf('set operation over a star that could not be expanded');
  if (branches.some((b) => b.length !== first.length)) return starOf('set operation branches differ in width');
  return first.map((c, i) => ({ name: c.name, expr: c.expr, traced: union(branches.map((b) => b[i].traced)) }));
}

/** UNION BY NAME: each name once, computed from every branch's column of that name. */
function byName(branches: ReadonlyArray<readonly OutColumn[]>): readonly OutColumn[] {
  if (branches.some((b) => b.some((c) => c.star || c.name === undefined))) return starOf('UNION BY NAME over columns that could not be named');
  const out = new Map<string, OutColumn>();
  for (const b of branches) {
    for (const c of b) {
      const key = lower(c.name!);
      const had = out.get(key);
      out.set(key, had ? { name: had.name, traced: union([had.traced, c.traced]) } : c);
    }
  }
  return [...out.values()];
}
