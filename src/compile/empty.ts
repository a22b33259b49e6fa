/**
 * `--empty`: a model reads each ref and source as zero rows. The filter is constant, so DuckDB plans an
 * empty result and scans nothing, yet the columns and their types are the relation's own.
 */
export function emptyRelation(sql: string): string {
  return `(select * from ${sql} where false)`;
}

/** Words that may follow a table in FROM without being its alias (DuckDB reserves them). */
const CLAUSE = new Set(
  'where join left right inner outer full cross natural on using group order limit offset having window qualify union intersect except positional asof anti semi pivot unpivot tablesample returning fetch lateral select from into values set when then else end and or not is in with for like between'.split(' '),
);
const EMPTY = /\(select \* from (?:"(?:[^"]|"")*"\.)*"((?:[^"]|"")*)" where false\)/g;

/**
 * Names each empty relation of a rendered model after its table, unless an alias follows, so SQL that
 * qualifies columns by the table's name (`orders.id`) still binds: `(select … where false) as "orders"`.
 */
export function nameEmptyRelations(sql: string): string {
  return sql.replace(EMPTY, (match: string, name: string, offset: number) => {
    const next = /^\s*("|[A-Za-z_][\w$]*)/.exec(sql.slice(offset + match.length))?.[1];
    const aliased = next !== undefined && (next === '"' || !CLAUSE.has(next.toLowerCase()));
    return aliased ? match : `${match} as "${name}"`;
  });
}
