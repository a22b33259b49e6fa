import { quoteLiteral, type ModelNode } from '../../types.js';

/**
 * A statement that fails, listing every difference, when the model's query does not return exactly the
 * columns and types its contract declares. It only binds the query (DESCRIBE), so it runs before anything
 * is built or replaced. Declared types are normalized by DuckDB itself (`typeof(null::int)` is INTEGER).
 */
export function contractCheck(node: ModelNode): string[] {
  if (!node.contract) return [];
  const expected = node.contract.map((c) => `(${quoteLiteral(c.name)}, typeof(null::${c.dataType}))`).join(', ');
  return [
    [
      `with actual as (`,
      `  select column_name as name, column_type as type from (describe select * from (\n${node.sql}\n) as eider_contract)`,
      `), expected(name, type) as (values ${expected}),`,
      `diff as (`,
      `  select case`,
      `    when a.name is null then 'missing column ' || e.name || ' ' || e.type`,
      `    when e.name is null then 'extra column ' || a.name || ' ' || a.type`,
      `    else 'column ' || a.name || ' is ' || a.type || ', declared ' || e.type end as problem`,
      `  from expected e full join actual a on lower(e.name) = lower(a.name)`,
      `  where e.name is null or a.name is null or e.type <> a.type`,
      `)`,
      `select error(${quoteLiteral(`contract of ${node.name} not met: `)} || string_agg(problem, '; ' order by problem)) from diff having count(*) > 0`,
    ].join('\n'),
  ];
}
