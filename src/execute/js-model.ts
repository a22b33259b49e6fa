import type * as Arquero from 'arquero';
import { pathToFileURL } from 'node:url';
import type { Session } from '../adapter/adapter.js';
import { DuckColumn, ValueError, type Column, type ColumnLike } from '../adapter/columns.js';
import { importModule } from '../compile/helpers.js';
import type { JsRun } from '../plan/materializations/index.js';
import { quoteIdent, quoteRelation } from '../types.js';

type Kind = 'null' | 'integer' | 'number' | 'bigint' | 'string' | 'boolean' | 'date' | 'other';

/** Where a model's own code failed: its message, at its file and line. */
export class JsModelError extends Error {
  constructor(message: string, readonly line?: number) {
    super(message);
  }
}

/**
 * Reads each input as columns (no row objects), hands the function Arquero tables, and appends the
 * columns it returns to the target in data chunks. Column types survive: an output column named like an
 * input column keeps that column's DuckDB type (DECIMAL, DATE, INTEGER…); others are inferred from the values.
 */
export async function runJsModel(session: Session, run: JsRun): Promise<number> {
  const fn = (await importModule(run.path)).default as (ctx: unknown) => unknown;
  // Loaded here, not at startup: Arquero takes a tenth of a second to import and most runs have no JS model.
  const aq = await import('arquero');
  const tables = new Map<string, Arquero.ColumnTable>();
  const inputTypes = new Map<string, string>();
  for (const input of run.inputs) {
    const r = await session.queryColumns(`select * from ${input.sql} as eider_input`);
    const data: Record<string, Column> = {};
    r.names.forEach((n, i) => {
      data[n] = r.columns[i] ?? [];
      if (!inputTypes.has(n)) inputTypes.set(n, r.types[i]);
    });
    tables.set(`${input.kind}:${input.name}`, aq.table(data));
  }
  const lookup = (key: string, label: string) => {
    const t = tables.get(key);
    if (!t) throw new JsModelError(`${label} is not declared in this model's refs/sources exports`);
    return t;
  };
  let result: unknown;
  try {
    result = await fn({ ref: (name: string) => lookup(`ref:${name}`, `ref('${name}')`), source: (s: string, t: string) => lookup(`source:${s}.${t}`, `source('${s}', '${t}')`), aq, ...structuredClone(run.context) });
  } catch (e) {
    if (e instanceof JsModelError) throw e;
    throw new JsModelError(`${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)}`, lineIn(e, run.path));
  }
  const { names, columns } = toColumns(result);
  if (names.length === 0) throw new JsModelError(`the model returned no columns${Array.isArray(result) ? ' (an empty array of rows names none)' : ''}; a table needs at least one`);
  const types = names.map((n, i) => {
    const c = columns[i];
    // A column read from the warehouse and returned as it was keeps its own type.
    return c instanceof DuckColumn ? c.type.toString() : sqlType(n, c, inputTypes.get(n));
  });
  await session.exec(`create table ${quoteRelation(run.target)} (${names.map((n, i) => `${quoteIdent(n)} ${types[i]}`).join(', ')})`);
  try {
    return await session.appendColumns(run.target.schema, run.target.name, columns);
  } catch (e) {
    // A value the column cannot hold is the model's mistake: reported at its file, and the half-written table dropped.
    if (e instanceof ValueError) throw new JsModelError(e.message);
    throw e;
  }
}

function lineIn(e: unknown, path: string): number | undefined {
  const stack = String((e as Error)?.stack ?? '');
  const url = pathToFileURL(path).href;
  for (const l of stack.split('\n')) {
    const m = /:(\d+):\d+\)?$/.exec(l);
    if (m && (l.includes(url) || l.includes(path))) return Number(m[1]);
  }
  return undefined;
}

/** An Arquero table, or an array of row objects. */
function toColumns(result: unknown): { names: string[]; columns: Array<ArrayLike<unknown> | DuckColumn> } {
  const t = result as Partial<Arquero.ColumnTable>;
  if (t && typeof t.columnNames === 'function' && typeof t.array === 'function') {
    const table = t as Arquero.ColumnTable;
    const names = table.columnNames();
    // An unfiltered, unordered table's columns are its data as stored (arrays or typed arrays): no copy.
    const whole = !table.isFiltered() && !table.isOrdered();
    return {
      names,
      columns: names.map((n) => {
        const c = table.column(n) as unknown as ColumnLike;
        if (whole && (c instanceof DuckColumn || Array.isArray(c) || ArrayBuffer.isView(c))) return c as ArrayLike<unknown> | DuckColumn;
        return table.array(n) as ArrayLike<unknown>;
      }),
    };
  }
  if (Array.isArray(result) && result.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))) {
    const names = [...new Set(result.flatMap((r) => Object.keys(r as object)))];
    return { names, columns: names.map((n) => result.map((r) => (r as Record<string, unknown>)[n] ?? null)) };
  }
  throw new JsModelError(`the model returned ${describe(result)}; return an Arquero table or an array of row objects`);
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array that is not of row objects';
  return `a ${typeof v}${typeof v === 'object' ? ` (${(v as object).constructor?.name ?? 'object'})` : ''}`;
}

function kindOf(v: unknown): Kind {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'bigint') return 'bigint';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (v instanceof Date) return 'date';
  return 'other';
}

/** Integer types and the numbers they hold (BIGINT and wider: up to where doubles stop being exact does not matter here). */
const INTEGER_TYPES: Record<string, readonly [number, number]> = {
  TINYINT: [-128, 127],
  SMALLINT: [-32_768, 32_767],
  INTEGER: [-2_147_483_648, 2_147_483_647],
  BIGINT: [-(2 ** 63), 2 ** 63 - 1],
  HUGEINT: [-(2 ** 127), 2 ** 127 - 1],
  UTINYINT: [0, 255],
  USMALLINT: [0, 65_535],
  UINTEGER: [0, 4_294_967_295],
  UBIGINT: [0, 2 ** 64 - 1],
  UHUGEINT: [0, 2 ** 128 - 1],
};

/** The DuckDB type of one output column; a column that mixes kinds is the model's mistake. */
function sqlType(name: string, values: ArrayLike<unknown>, inputType?: string): string {
  const kinds = new Set<Kind>();
  // The range of the numbers, and whether a Date has a time of day: the input's type is kept only if they fit it.
  let lo = Infinity;
  let hi = -Infinity;
  let timeOfDay = false;
  const typed = ArrayBuffer.isView(values);
  if (typed) kinds.add(values instanceof BigInt64Array || values instanceof BigUint64Array ? 'bigint' : values instanceof Float32Array || values instanceof Float64Array ? 'number' : 'integer');
  let last: Kind = 'null';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'number' || typeof v === 'bigint') {
      const x = Number(v);
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    } else if (v instanceof Date && v.getTime() % 86_400_000 !== 0 && !Number.isNaN(v.getTime())) timeOfDay = true;
    if (typed) continue;
    const k = kindOf(v);
    if (k !== last) {
      kinds.add(k);
      last = k;
    }
  }
  kinds.delete('null');
  if (kinds.has('integer') && kinds.has('number')) kinds.delete('integer');
  if (kinds.has('bigint') && kinds.has('integer')) kinds.delete('integer');
  if (kinds.size > 1) {
    const [a, b] = [...kinds];
    const row = Array.prototype.findIndex.call(values, (v: unknown) => kindOf(v) === b);
    throw new JsModelError(`column "${name}" mixes ${a} and ${b} values (row ${row + 1} is ${b}); a column has one type`);
  }
  let kind = [...kinds][0] ?? 'null';
  if (kind === 'other') throw new JsModelError(`column "${name}" holds values eider cannot store (${describe(Array.prototype.find.call(values, (v: unknown) => kindOf(v) === 'other'))})`);
  const within = (range: readonly [number, number]) => lo >= range[0] && hi <= range[1];
  // Keep the input's type when it fits the values: DECIMAL stays DECIMAL, DATE stays DATE — unless a value would
  // not fit it (a TINYINT times ten, a DECIMAL(4,1) grown past 999.9, a DATE given a time of day).
  if (inputType) {
    const decimal = /^DECIMAL\((\d+),(\d+)\)$/.exec(inputType);
    const integerRange = INTEGER_TYPES[inputType];
    // DECIMAL(w,s) holds |v| below 10^(w-s), less half a unit of its last digit (the value is rounded to s digits).
    const limit = decimal ? 10 ** (Number(decimal[1]) - Number(decimal[2])) - 0.5 / 10 ** Number(decimal[2]) : undefined;
    const fitsNumbers = limit !== undefined ? lo > -limit && hi < limit : /^(FLOAT|DOUBLE)$/.test(inputType);
    const fits =
      kind === 'null' ||
      ((kind === 'integer' || kind === 'bigint') && ((integerRange !== undefined && within(integerRange)) || fitsNumbers)) ||
      (kind === 'number' && fitsNumbers) ||
      (kind === 'string' && /^VARCHAR/.test(inputType)) ||
      (kind === 'boolean' && inputType === 'BOOLEAN') ||
      (kind === 'date' && (/^TIMESTAMP/.test(inputType) || (inputType === 'DATE' && !timeOfDay)));
    if (fits) return inputType;
  }
  // Integers beyond BIGINT's range are stored as doubles (as numbers they are not exact there anyway).
  if (kind === 'integer' && !within([-(2 ** 63), 2 ** 63 - 1])) kind = 'number';
  return { null: 'VARCHAR', integer: 'BIGINT', number: 'DOUBLE', bigint: 'HUGEINT', string: 'VARCHAR', boolean: 'BOOLEAN', date: 'TIMESTAMP' }[kind];
}
