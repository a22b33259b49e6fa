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
  /** true: declared under a column; false: under the model; 'either': both. */
  readonly needsColumn: boolean | 'either';
  readonly args: Readonly<Record<string, { readonly required: boolean; readonly check: (v: unknown) => string | undefined }>>;
  /** A query returning the failing rows. */
  readonly sql: (ctx: GenericTestContext) => string;
}

const isList = (v: unknown) => (Array.isArray(v) && v.length > 0 ? undefined : 'must be a non-empty list');
const isStringList = (v: unknown) => (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string') ? undefined : 'must be a non-empty list of column names');
const isCount = (v: unknown) => (Number.isInteger(v) && (v as number) >= 0 ? undefined : 'must be a whole number');
const isPositive = (v: unknown) => (typeof v === 'number' && v > 0 ? undefined : 'must be a positive number');
const isLiteral = (v: unknown) => (typeof v === 'number' || typeof v === 'string' ? undefined : 'must be a number or a quoted value');

export const PERIODS = ['minute', 'hour', 'day', 'week', 'month', 'year'] as const;

/** `{count: 2, period: hour}` or `'2 hours'`, checked (a count of 0 only where `zero` allows it); the SQL interval comes from `intervalSql`. */
export function checkInterval(v: unknown, zero = false): string | undefined {
  if (typeof v === 'string') return /^\s*\d+\s+(minute|hour|day|week|month|year)s?\s*$/i.test(v) ? undefined : `must be like '2 hours' or {count: 2, period: hour}`;
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const extra = Object.keys(o).filter((k) => k !== 'count' && k !== 'period');
    if (extra.length > 0) return `has unknown key "${extra[0]}" (it takes count and period)`;
    if (!Number.isInteger(o.count) || (o.count as number) < (zero ? 0 : 1)) return zero ? 'needs a whole count, 0 or more' : 'needs a positive whole count';
    if (!(PERIODS as readonly unknown[]).includes(o.period)) return `period must be one of ${PERIODS.join(', ')}, not "${String(o.period)}"`;
    return undefined;
  }
  return `must be like '2 hours' or {count: 2, period: hour}`;
}

export function intervalSql(v: unknown): string {
  if (typeof v === 'string') return `interval '${v.trim().replaceAll("'", "''")}'`;
  const o = v as { count: number; period: string };
  return `interval '${o.count} ${o.period}'`;
}

const literal = (v: unknown) => (typeof v === 'number' ? String(v) : quoteLiteral(String(v)));
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
  unique_combination_of_columns: {
    needsColumn: false,
    args: { combination_of_columns: { required: true, check: isStringList } },
    sql: ({ model, args }) => {
      const cols = (args.combination_of_columns as string[]).map(quoteIdent).join(', ');
      return `select ${cols}, count(*) as n_records from ${model} group by ${cols} having count(*) > 1`;
    },
  },
  expression_is_true: {
    needsColumn: 'either',
    args: { expression: { required: true, check: isString } },
    sql: ({ model, column, args }) => `select * from ${model} where not coalesce((${column ? `${quoteIdent(column)} ` : ''}${String(args.expression)}), false)`,
  },
  accepted_range: {
    needsColumn: true,
    args: { min_value: { required: false, check: isLiteral }, max_value: { required: false, check: isLiteral }, inclusive: { required: false, check: isBool } },
    sql: ({ model, column, args }) => {
      const c = quoteIdent(column!);
      const [ge, le] = args.inclusive === false ? ['>', '<'] : ['>=', '<='];
      const conds = [args.min_value !== undefined ? `${c} ${ge} ${literal(args.min_value)}` : '', args.max_value !== undefined ? `${c} ${le} ${literal(args.max_value)}` : ''].filter(Boolean);
      return `select * from ${model} where ${c} is not null and not (${conds.join(' and ') || 'true'})`;
    },
  },
  row_count: {
    needsColumn: false,
    args: { min: { required: false, check: isCount }, max: { required: false, check: isCount } },
    sql: ({ model, args }) => {
      const conds = [args.min !== undefined ? `count(*) >= ${Number(args.min)}` : '', args.max !== undefined ? `count(*) <= ${Number(args.max)}` : ''].filter(Boolean);
      return `select count(*) as row_count from ${model} having not (${conds.join(' and ') || 'true'})`;
    },
  },
  not_empty: {
    needsColumn: false,
    args: {},
    sql: ({ model }) => `select 'no rows' as problem where not exists (select 1 from ${model})`,
  },
  recency: {
    needsColumn: false,
    args: { field: { required: true, check: isString }, interval: { required: true, check: checkInterval } },
    sql: ({ model, args }) =>
      `select max(${quoteIdent(String(args.field))}) as most_recent from ${model} having max(${quoteIdent(String(args.field))}) is null or max(${quoteIdent(String(args.field))}) < now() - ${intervalSql(args.interval)}`,
  },
  equal_rowcount: {
    needsColumn: false,
    args: { compare_model: { required: true, check: isString } },
    sql: ({ model, to }) =>
      `select a.n as model_rows, b.n as compare_rows from (select count(*) as n from ${model}) a, (select count(*) as n from ${to}) b where a.n <> b.n`,
  },
  anomaly: {
    needsColumn: false,
    args: {
      date_column: { required: true, check: isString },
      metric: { required: false, check: isString },
      window: { required: false, check: isCount },
      threshold: { required: false, check: isPositive },
      min_periods: { required: false, check: isCount },
    },
    sql: ({ model, args }) => {
      const window = Number(args.window ?? 28);
      const threshold = Number(args.threshold ?? 3);
      const minPeriods = Number(args.min_periods ?? 7);
      return [
        `with daily as (`,
        `  select cast(${quoteIdent(String(args.date_column))} as date) as day, ${String(args.metric ?? 'count(*)')} as value`,
        `  from ${model} group by 1`,
        `), scored as (`,
        `  select day, value, avg(value) over w as trailing_mean, stddev_samp(value) over w as trailing_sd, count(value) over w as periods`,
        `  from daily window w as (order by day rows between ${window} preceding and 1 preceding)`,
        `)`,
        `select day, value, round(trailing_mean, 4) as trailing_mean, round(trailing_sd, 4) as trailing_sd, round((value - trailing_mean) / trailing_sd, 2) as z_score`,
        `from scored where periods >= ${minPeriods} and trailing_sd > 0 and abs((value - trailing_mean) / trailing_sd) > ${threshold}`,
      ].join('\n');
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
