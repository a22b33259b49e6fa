import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { fastParse } from './fast-parse.js';
import { renderTemplate, type Helper } from './render.js';

/** The fast parser and the AST renderer must agree with Handlebars itself (noEscape), byte for byte. */
const helpers: Record<string, Helper> = {
  ref: (name: unknown) => `"main"."${String(name)}"`,
  source: (a: unknown, b: unknown) => `"${String(a)}"."${String(b)}"`,
  config: () => '',
  upper: (s: unknown) => String(s).toUpperCase(),
  join: (...args: unknown[]) => args.slice(0, -1).join('|'),
  kv: function (...args: unknown[]) {
    const o = args.pop() as { hash: Record<string, unknown> };
    return Object.entries(o.hash).map(([k, v]) => `${k}=${String(v)}`).join(',');
  },
  wrap: function (this: unknown, ...args: unknown[]) {
    const o = args.pop() as { fn: (c: unknown) => string };
    return `(${o.fn(this)})`;
  },
};
const partials: Record<string, string> = {
  money: 'round({{column}} / 100.0, {{digits}})',
  multi: 'a as (\n  select {{col}}\n)\n',
};

const cases: Record<string, string> = {
  plain: 'select 1 as id\nfrom t\n',
  refs: '{{config materialized="table" tags="a,b"}}\nselect * from {{ref "orders"}} o\njoin {{source "raw" "customers"}} c using (id)\n',
  ifStandalone: 'select *\nfrom x\n{{#if is_incremental}}\nwhere ts > (select max(ts) from {{this}})\n{{/if}}\norder by 1\n',
  ifElseInline: 'select {{#if is_incremental}}1{{else}}2{{/if}} as x, {{#unless is_incremental}}full{{/unless}}',
  ifElseStandalone: 'select\n  {{#if flag}}\n  a\n  {{else}}\n  b\n  {{/if}}\nfrom t',
  each: 'select\n{{#each cols}}\n  {{this}}{{#unless @last}},{{/unless}}\n{{/each}}\nfrom t',
  eachObj: '{{#each obj}}{{@key}}={{this}};{{/each}}',
  withBlock: '{{#with target}}{{name}}-{{threads}}{{/with}}',
  paths: '{{target.name}} {{target.threads}} {{missing}} {{target.nope}} {{this.flag}}',
  subexpr: '{{upper (ref "orders")}} {{join "a" 1 true 2.5}} {{kv a=1 b="x" c=(upper "y")}}',
  partial: 'select {{> money column="amount" digits=2}} as rupees',
  partialStandalone: 'with\n  {{> multi col="id"}}\nselect * from a',
  comments: 'select 1 {{! short }}\n{{!-- long {{ref "x"}} --}}\nfrom t',
  blockHelper: 'select {{#wrap}}a + b{{/wrap}} as s',
  crlf: 'select 1\r\n{{#if flag}}\r\n, 2\r\n{{/if}}\r\nfrom t\r\n',
  quotes: "select '{{upper 'x y'}}' as s, {{ref 'single'}}",
  standaloneAtEnd: 'select 1\n{{#if flag}}\n, 2\n{{/if}}',
  thisFields: 'create index i on {{this}} (id); -- {{this.schema}}.{{this.name}} {{this.identifier}} in {{target.schema}}',
};

const context = { toString: () => '"main"."me"', is_incremental: false, flag: true, cols: ['a', 'b', 'c'], obj: { x: 1, y: 2 }, target: { name: 'dev', threads: 4, schema: 'analytics' }, schema: 'analytics', name: 'me', identifier: 'me' };

describe('fast template parser and renderer', () => {
  const hb = Handlebars.create();
  for (const [name, fn] of Object.entries(helpers)) hb.registerHelper(name, fn as Handlebars.HelperDelegate);
  for (const [name, text] of Object.entries(partials)) hb.registerPartial(name, text);
  const env = {
    helpers: new Map(Object.entries(helpers)),
    partials: new Map(Object.entries(partials).map(([n, t]) => [n, fastParse(t)!])),
  };

  for (const [name, text] of Object.entries(cases)) {
    it(`renders "${name}" exactly as Handlebars does`, () => {
      const expected = hb.compile(text, { noEscape: true })(context);
      const fast = fastParse(text);
      // Constructs outside the fast subset fall back to Handlebars.parse; both must render the same.
      const ast = fast ?? Handlebars.parse(text);
      expect(renderTemplate(ast, context, env)).toBe(expected);
      expect(renderTemplate(Handlebars.parse(text), context, env)).toBe(expected);
    });
  }

  it('handles the common subset itself (no fallback)', () => {
    for (const name of ['plain', 'refs', 'ifStandalone', 'ifElseInline', 'ifElseStandalone', 'subexpr', 'partial', 'partialStandalone', 'comments', 'crlf', 'quotes', 'thisFields']) {
      expect(fastParse(cases[name]), name).toBeDefined();
    }
  });

  it('leaves what it does not understand, and every syntax error, to Handlebars', () => {
    for (const text of ['{{{raw}}}', '{{~trim}}', '{{#if a}}x{{else if b}}y{{/if}}', '{{../up}}', '{{ref "a"}', '{{#if a}}x', '{{#if a}}x{{/unless}}', '\\{{escaped}}', '{{"str\\"ing"}}']) {
      expect(fastParse(text), text).toBeUndefined();
    }
  });

  it('records the line of every statement', () => {
    const ast = fastParse('select\n\n{{ref "a"}}\n{{#if x}}\n{{source "s" "t"}}\n{{/if}}')!;
    const lines = ast.body.filter((s) => s.type !== 'ContentStatement').map((s) => s.loc.start.line);
    expect(lines).toEqual([3, 4]);
    const block = ast.body.find((s) => s.type === 'BlockStatement') as hbs.AST.BlockStatement;
    expect(block.program.body.find((s) => s.type === 'MustacheStatement')!.loc.start.line).toBe(5);
  });
});
