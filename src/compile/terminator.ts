/**
 * A statement's text without its final `;` (and what only whitespace and comments separate from it): DuckDB runs
 * `select 1;` alone, but eider wraps models and tests in parentheses (`create table … as (…)`, a test's count,
 * `show`, unit tests, an ephemeral model's CTE), where the `;` is a syntax error. Strings ('…', "…", $tag$…$tag$)
 * and comments (--, /* … *\/) are skipped, so a `;` inside one is kept. Anything else is returned as it is.
 */
export function withoutTerminator(sql: string): string {
  if (!sql.includes(';')) return sql;
  let last = -1; // the last `;` outside strings and comments
  let after = false; // something other than whitespace and comments follows it
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
      after = true;
    } else if (c === '$' && /^\$[A-Za-z_]*\$/.test(sql.slice(i, i + 64))) {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i, i + 64))![0];
      const end = sql.indexOf(tag, i + tag.length);
      i = end < 0 ? sql.length : end + tag.length;
      after = true;
    } else {
      if (c === ';') (last = i), (after = false);
      else if (!/\s/.test(c)) after = true;
      i++;
    }
  }
  return last >= 0 && !after ? sql.slice(0, last) + sql.slice(last + 1) : sql;
}

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
