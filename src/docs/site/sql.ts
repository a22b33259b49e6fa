// A small hand-written SQL tokenizer for highlighting (no library): comments, strings, quoted names, numbers,
// keywords, and the template's own {{…}} tags. Every token goes in as a text node.
import { h } from './dom.js';

const KEYWORDS = new Set(
  (
    'select from where group by order having limit offset join left right full inner outer cross on using as and or not in is null ' +
    'case when then else end with recursive union all except intersect distinct insert into values update set delete create table view ' +
    'replace or if exists drop alter add column primary key references cast try_cast between like ilike similar over partition window ' +
    'rows range preceding following current row qualify asc desc nulls first last true false interval filter lateral natural any some ' +
    'struct list map unnest pivot unpivot exclude rename columns returning materialized temporary temp schema database attach'
  ).split(' '),
);

const TOKEN = /(--[^\n]*|\/\*[\s\S]*?(?:\*\/|$))|('(?:[^']|'')*'?)|("(?:[^"]|"")*"?)|(\{\{[\s\S]*?(?:\}\}|$)|\{%[\s\S]*?(?:%\}|$))|(\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b)|([A-Za-z_][\w$]*)|(\s+|[\s\S])/gi;

/** Highlighted SQL as spans of text: `comment`, `string`, `ident`, `template`, `number`, `keyword`. */
export function highlightSql(sql: string): DocumentFragment {
  const out = document.createDocumentFragment();
  for (const m of sql.matchAll(TOKEN)) {
    const kind = m[1] ? 'comment' : m[2] ? 'string' : m[3] ? 'ident' : m[4] ? 'template' : m[5] ? 'number' : m[6] && KEYWORDS.has(m[6].toLowerCase()) ? 'keyword' : undefined;
    out.appendChild(kind ? h('span', { class: `sql-${kind}` }, m[0]) : document.createTextNode(m[0]));
  }
  return out;
}
