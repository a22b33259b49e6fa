import { quoteIdent, quoteLiteral } from '../types.js';

/** What a generic test's SQL is made from: the tested relation and column, its arguments, and resolved refs. */
export interface GenericTestContext {
  /** Rendered relation (or table function) of the node under test. */
  readonly model: string;
  readonly column?: string;
  readonly args: Readonly<Record<string, unknown>>;
  /** Rendered relation of the `to:` argument (relationships). */
  readonly to?: string;
}

export interface GenericTestDef {
  readonly needsColumn: boolean;
  readonly args: Readonly<Record<string, { readonly required: boolean; readonly check: (v: unknown) => string | undefined }>>;
  /** A query returning the failing rows. */
  readonly sql: (ctx: GenericTestContext) => string;
}

const isList = (v: unknown) => (Array.isArray(v) && v.length > 0 ? undefined : 'must be a non-empty list');
const isString = (v: unknown) => (typeof v === 'string' && v.length > 0 ? undefined : 'must be a string');
const isBool = (v: unknown) => (typeof v === 'boolean' ? undefined : 'must be true or false');

function sqlValue(v: unknown, quote: boolean): string {
  if (typeof v === 'number' || typeof v === 'boolean' || !quote) return String(v);
  return quoteLiteral(String(v));
}

/** The built-in generic tests. Each kind in one place: arguments and SQL. */
export const GENERIC_TESTS: Readonly<Record<string, GenericTestDef>> = {
  not_null: {
    needsColumn: true,
    args: {},
    sql: ({ model, column }) => `select * from ${model} where ${quoteIdent(column!)} is null`,
  },
  unique: {
    needsColumn: true,
    args: {},
    sql: ({ model, column }) =>
      `select ${quoteIdent(column!)} as unique_field, count(*) as n_records from ${model} where ${quoteIdent(column!)} is not null group by ${quoteIdent(column!)} having count(*) > 1`,
  },
  accepted_values: {
    needsColumn: true,
    args: { values: { required: true, check: isList }, quote: { required: false, check: isBool } },
    sql: ({ model, column, args }) => {
      const quote = args.quote !== false;
      const values = (args.values as unknown[]).map((v) => sqlValue(v, quote)).join(', ');
      return `select ${quoteIdent(column!)} as value_field, count(*) as n_records from ${model} where ${quoteIdent(column!)} is not null and ${quoteIdent(column!)} not in (${values}) group by ${quoteIdent(column!)}`;
    },
  },
  relationships: {
    needsColumn: true,
    args: { to: { required: true, check: isString }, field: { required: true, check: isString } },
    sql: ({ model, column, args, to }) =>
      `select child.${quoteIdent(column!)} as from_field from ${model} as child left join ${to} as parent on child.${quoteIdent(column!)} = parent.${quoteIdent(String(args.field))} where child.${quoteIdent(column!)} is not null and parent.${quoteIdent(String(args.field))} is null`,
  },
};

/** `ref('x')`, `source('a', 'b')` or a bare model name, as written in a test's `to:` argument. */
export type RefTarget = { readonly ref: string } | { readonly source: string; readonly table: string };

export function parseRefTarget(text: string): RefTarget | undefined {
  const t = text.trim();
  let m = /^ref\(\s*['"]([^'"]+)['"]\s*\)$/.exec(t);
  if (m) return { ref: m[1] };
  m = /^source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)$/.exec(t);
  if (m) return { source: m[1], table: m[2] };
  if (/^[A-Za-z_][\w]*$/.test(t)) return { ref: t };
  return undefined;
}
