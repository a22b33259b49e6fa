/** A query's first rows as text: an aligned table for people, CSV or JSON for scripts. Values are JSON-safe (see DuckDbSession.queryJson). */
export interface Rows {
  readonly columns: readonly string[];
  readonly types: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

/** Widest value shown in a table cell; longer ones end in `…`. */
export const CELL_WIDTH = 40;

/** Right-aligned: numbers, not lists or structs of them (`BIGINT[]`). */
const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL(\(\d+, ?\d+\))?)$/;

function text(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Column names, then their DuckDB types, then the rows; numbers right-aligned; tabs and newlines shown as \t and \n. */
export function formatTable(r: Rows): string[] {
  const clip = (s: string) => {
    const flat = s.replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
    return flat.length > CELL_WIDTH ? `${flat.slice(0, CELL_WIDTH - 1)}…` : flat;
  };
  const cells = [r.columns.map(clip), r.types.map(clip), ...r.rows.map((row) => row.map((v) => clip(text(v))))];
  const widths = r.columns.map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  const right = r.types.map((t) => NUMERIC.test(t));
  const line = (c: readonly string[], align = true) => `| ${c.map((v, i) => (align && right[i] ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join(' | ')} |`;
  return [line(cells[0], false), line(cells[1], false), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(2).map((c) => line(c))];
}

/** RFC 4180: a header, then one line per row; NULL is an empty field. */
export function formatCsv(r: Rows): string[] {
  const field = (v: unknown) => {
    if (v === null || v === undefined) return '';
    const s = text(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [r.columns.map(field).join(','), ...r.rows.map((row) => row.map(field).join(','))];
}

/** A JSON array of objects, one row per line. */
export function formatJson(r: Rows): string[] {
  if (r.rows.length === 0) return ['[]'];
  const objects = r.rows.map((row, i) => `${JSON.stringify(Object.fromEntries(r.columns.map((c, j) => [c, row[j]])))}${i < r.rows.length - 1 ? ',' : ''}`);
  return ['[', ...objects, ']'];
}
