/**
 * A statement's text without its final `;` (and what only whitespace and comments separate from it): DuckDB runs
 * `select 1;` alone, but eider wraps models and tests in parentheses (`create table … as (…)`, a test's count,
 * `show`, unit tests, an ephemeral model's CTE), where the `;` is a syntax error. Strings ('…', "…", $tag$…$tag$)
 * and comments (--, /* … *\/) are skipped, so a `;` inside one is kept. Anything else is returned as it is.
 */
export function withoutTerminator(sql: string): string {
  if (!sql.includes(';')) return sql;
  let ends: number[] = []; // the `;`s outside strings and comments that only whitespace and comments follow
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === "'" || c === '"') {
      i = closing(sql, i, c);
      ends = [];
    } else if (c === '$' && DOLLAR_TAG.test(sql.slice(i, i + 64))) {
      const tag = DOLLAR_TAG.exec(sql.slice(i, i + 64))![0];
      const end = sql.indexOf(tag, i + tag.length);
      i = end < 0 ? sql.length : end + tag.length;
      ends = [];
    } else {
      if (c === ';') ends.push(i);
      else if (!/\s/.test(c)) ends = [];
      i++;
    }
  }
  let out = sql;
  for (const at of ends.reverse()) out = out.slice(0, at) + out.slice(at + 1);
  return out;
}

/** `$$` or `$tag$` opening a dollar-quoted string (a tag is an identifier: no digit first). */
const DOLLAR_TAG = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/;

/** The index just past the quote closing the one at `start` (a doubled quote is part of the text). */
function closing(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}
