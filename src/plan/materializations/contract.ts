import { quoteLiteral, type ModelNode } from '../../types.js';

/**
 * A statement that fails, listing every difference, when the model's query (or `relation`: the new rows of an
 * incremental run, the table after they are applied) does not return exactly the columns and types its
 * contract declares. It only binds the query (DESCRIBE), so it runs before anything is built or replaced.
 * Declared types are normalized by DuckDB itself (`typeof(null::int)` is INTEGER). `note` ends the message.
 */
export function contractCheck(node: ModelNode, relation = `select * from (\n${node.sql}\n) as eider_contract`, note = ''): string[] {
  if (!node.contract) return [];
  const expected = node.contract.map((c) => `(${quoteLiteral(c.name)}, typeof(null::${c.dataType}))`).join(', ');
  return [
    [
      `with actual as (`,
      `  select column_name as name, column_type as type from (describe ${relation})`,
      `), expected(name, type) as (values ${expected}),`,
      `diff as (`,
      `  select case`,
      `    when a.name is null then 'missing column ' || e.name || ' ' || e.type`,
      `    when e.name is null then 'extra column ' || a.name || ' ' || a.type`,
      `    else 'column ' || a.name || ' is ' || a.type || ', declared ' || e.type end as problem`,
      `  from expected e full join actual a on lower(e.name) = lower(a.name)`,
      `  where e.name is null or a.name is null or e.type <> a.type`,
      `)`,
      `select error(${quoteLiteral(`contract of ${node.name} not met: `)} || string_agg(problem, '; ' order by problem)${note ? ` || ${quoteLiteral(note)}` : ''}) from diff having count(*) > 0`,
    ].join('\n'),
  ];
}

/**
 * A statement that fails with one clear message when the model's query does not return the columns its config
 * names (unique_key, updated_at, check_cols, event_time) — checked by binding the query (DESCRIBE), before
 * anything is built, instead of a binder error on some later run.
 */
export function requireColumns(node: ModelNode, query: string, needs: ReadonlyArray<readonly [role: string, column: string]>): string[] {
  if (needs.length === 0) return [];
  const values = needs.map(([role, column]) => `(${quoteLiteral(role)}, ${quoteLiteral(column)})`).join(', ');
  return [
    [
      `with actual as (select lower(column_name) as name from (describe ${query}))`,
      `select error(${quoteLiteral(`${node.materialized === 'snapshot' ? 'snapshot' : 'model'} ${node.name}: `)} || string_agg(role || ' ' || col, '; ' order by role, col) || ${quoteLiteral(' not among the columns its query returns')})`,
      `from (values ${values}) as needed(role, col) where lower(col) not in (select name from actual) having count(*) > 0`,
    ].join('\n'),
  ];
}
