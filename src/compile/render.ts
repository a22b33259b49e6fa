/**
 * Renders a Handlebars AST by walking it — no code generation, so thousands of models render in
 * milliseconds. Semantics follow Handlebars with `noEscape`: helpers get `(…params, options)` with
 * `hash`, `data`, `loc`, `fn` and `inverse`; `if/unless/each/with/lookup/log` are built in; partials
 * take their hash as added context and keep a standalone line's indent.
 */

export type Helper = (this: unknown, ...args: unknown[]) => unknown;

export interface RenderEnv {
  readonly helpers: ReadonlyMap<string, Helper>;
  readonly partials: ReadonlyMap<string, hbs.AST.Program>;
}

interface Data {
  readonly root: unknown;
  readonly [key: string]: unknown;
}

export class RenderError extends Error {
  /** The partial whose line `line` is, when the error happened inside one. */
  partial?: string;

  constructor(message: string, readonly line?: number) {
    super(message);
  }
}

const BLOCKED = new Set(['__proto__', 'constructor', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__']);

export function renderTemplate(program: hbs.AST.Program, context: unknown, env: RenderEnv): string {
  return renderProgram(program, context, env, { root: context });
}

/** The value of one `{{…}}` statement before it is made text (a var that is a number or a list stays one). */
export function evaluate(statement: hbs.AST.MustacheStatement, context: unknown, env: RenderEnv): unknown {
  return call(statement, context, env, { root: context }, false);
}

function renderProgram(program: hbs.AST.Program | undefined, context: unknown, env: RenderEnv, data: Data): string {
  if (!program) return '';
  let out = '';
  for (const s of program.body) {
    switch (s.type) {
      case 'ContentStatement':
        out += (s as hbs.AST.ContentStatement).value;
        break;
      case 'MustacheStatement': {
        const m = s as hbs.AST.MustacheStatement;
        const v = call(m, context, env, data, false);
        if (v !== null && typeof v === 'object' && String(v) === '[object Object]') {
          throw new RenderError(`"${(m.path as hbs.AST.PathExpression).original}" gives an object, not SQL text`, m.loc?.start.line);
        }
        out += show(v);
        break;
      }
      case 'BlockStatement':
        out += show(block(s as hbs.AST.BlockStatement, context, env, data));
        break;
      case 'PartialStatement':
        out += partial(s as hbs.AST.PartialStatement, context, env, data);
        break;
      case 'CommentStatement':
        break;
      default:
        throw new RenderError(`${s.type} is not supported`, s.loc?.start.line);
    }
  }
  return out;
}

function show(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

function isEmpty(v: unknown): boolean {
  return (!v && v !== 0) || (Array.isArray(v) && v.length === 0);
}

function lookup(obj: unknown, key: string): unknown {
  if (obj === null || obj === undefined || BLOCKED.has(key)) return undefined;
  return (obj as Record<string, unknown>)[key];
}

function evalPath(p: hbs.AST.PathExpression, context: unknown, data: Data): unknown {
  let v: unknown = p.data ? data : context;
  for (const part of p.parts) v = lookup(v, part);
  return v;
}

function evalExpr(e: hbs.AST.Expression, context: unknown, env: RenderEnv, data: Data): unknown {
  switch (e.type) {
    case 'StringLiteral':
    case 'NumberLiteral':
    case 'BooleanLiteral':
      return (e as hbs.AST.StringLiteral).value;
    case 'NullLiteral':
      return null;
    case 'UndefinedLiteral':
      return undefined;
    case 'SubExpression':
      return call(e as hbs.AST.SubExpression, context, env, data, true);
    case 'PathExpression':
      return evalPath(e as hbs.AST.PathExpression, context, data);
    default:
      throw new RenderError(`${e.type} is not supported`, e.loc?.start.line);
  }
}

function hashOf(h: hbs.AST.Hash | undefined, context: unknown, env: RenderEnv, data: Data): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const pairs = h?.pairs ?? [];
  // Handlebars fills the hash last pair first; helpers that walk it see the same order here.
  for (let i = pairs.length - 1; i >= 0; i--) out[pairs[i].key] = evalExpr(pairs[i].value, context, env, data);
  return out;
}

type Callable = hbs.AST.MustacheStatement | hbs.AST.SubExpression | hbs.AST.BlockStatement;

function options(node: Callable, name: string, context: unknown, env: RenderEnv, data: Data, fn?: (ctx: unknown, o?: { data?: Data }) => string, inverse?: (ctx: unknown, o?: { data?: Data }) => string) {
  const noop = () => '';
  return { name, hash: hashOf(node.hash, context, env, data), data, loc: node.loc, fn: fn ?? noop, inverse: inverse ?? noop, lookupProperty: lookup };
}

function call(node: Callable, context: unknown, env: RenderEnv, data: Data, sub: boolean): unknown {
  const path = node.path as hbs.AST.PathExpression;
  if (path.type !== 'PathExpression') return evalExpr(path as hbs.AST.Expression, context, env, data);
  const name = path.original;
  const isCall = node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0 || sub;
  const helper = !path.data && path.parts.length === 1 ? (env.helpers.get(name) ?? BUILTINS.get(name)) : undefined;
  if (helper) {
    const args = node.params.map((p) => evalExpr(p, context, env, data));
    return helper.call(context, ...args, options(node, name, context, env, data));
  }
  if (isCall) throw new RenderError(`Missing helper: "${name}"`, node.loc?.start.line);
  const v = evalPath(path, context, data);
  return typeof v === 'function' ? (v as Helper).call(context, options(node, name, context, env, data)) : v;
}

function block(node: hbs.AST.BlockStatement, context: unknown, env: RenderEnv, data: Data): unknown {
  const path = node.path as hbs.AST.PathExpression;
  const name = path.original;
  const fn = (ctx: unknown, o?: { data?: Data }) => renderProgram(node.program, ctx, env, o?.data ?? data);
  const inverse = (ctx: unknown, o?: { data?: Data }) => renderProgram(node.inverse, ctx, env, o?.data ?? data);
  const helper = !path.data && path.parts.length === 1 ? (env.helpers.get(name) ?? BLOCKS.get(name) ?? BUILTINS.get(name)) : undefined;
  const args = node.params.map((p) => evalExpr(p, context, env, data));
  if (helper) return helper.call(context, ...args, options(node, name, context, env, data, fn, inverse));
  if (node.params.length > 0) throw new RenderError(`Missing helper: "${name}"`, node.loc?.start.line);
  // A block over a value: a section, as in Mustache.
  const v = evalPath(path, context, data);
  return BLOCKS.get('with')!.call(context, v, options(node, name, context, env, data, fn, inverse));
}

function partial(node: hbs.AST.PartialStatement, context: unknown, env: RenderEnv, data: Data): string {
  const name = (node.name as hbs.AST.PathExpression).original;
  const ast = env.partials.get(name);
  if (!ast) throw new RenderError(`The partial ${name} could not be found`, node.loc?.start.line);
  let ctx = node.params.length > 0 ? evalExpr(node.params[0], context, env, data) : context;
  const hash = hashOf(node.hash, context, env, data);
  if (Object.keys(hash).length > 0) ctx = Object.assign(Object.create(null), ctx, hash);
  let text: string;
  try {
    text = renderProgram(ast, ctx, env, data);
  } catch (e) {
    if (e instanceof RenderError && e.partial === undefined) e.partial = name;
    throw e;
  }
  const indent = node.indent;
  if (!indent) return text;
  const lines = text.split('\n');
  return lines.map((l, i) => (i === lines.length - 1 && l === '' ? l : indent + l)).join('\n');
}

type BlockOptions = { fn: (ctx: unknown, o?: { data?: Data }) => string; inverse: (ctx: unknown) => string; data: Data; hash: Record<string, unknown> };

const BLOCKS = new Map<string, Helper>([
  [
    'if',
    function (this: unknown, cond: unknown, o: unknown) {
      const opts = o as BlockOptions;
      const c = typeof cond === 'function' ? (cond as Helper).call(this) : cond;
      return (!opts.hash.includeZero && !c) || isEmpty(c) ? opts.inverse(this) : opts.fn(this);
    },
  ],
  [
    'unless',
    function (this: unknown, cond: unknown, o: unknown) {
      const opts = o as BlockOptions;
      const c = typeof cond === 'function' ? (cond as Helper).call(this) : cond;
      return (!opts.hash.includeZero && !c) || isEmpty(c) ? opts.fn(this) : opts.inverse(this);
    },
  ],
  [
    'each',
    function (this: unknown, items: unknown, o: unknown) {
      const opts = o as BlockOptions;
      let out = '';
      let any = false;
      if (Array.isArray(items)) {
        any = items.length > 0;
        items.forEach((item, index) => {
          out += opts.fn(item, { data: { ...opts.data, index, key: index, first: index === 0, last: index === items.length - 1 } });
        });
      } else if (items && typeof items === 'object') {
        const keys = Object.keys(items);
        any = keys.length > 0;
        keys.forEach((key, index) => {
          out += opts.fn((items as Record<string, unknown>)[key], { data: { ...opts.data, index, key, first: index === 0, last: index === keys.length - 1 } });
        });
      }
      return any ? out : opts.inverse(this);
    },
  ],
  [
    'with',
    function (this: unknown, value: unknown, o: unknown) {
      const opts = o as BlockOptions;
      const v = typeof value === 'function' ? (value as Helper).call(this) : value;
      return isEmpty(v) ? opts.inverse(this) : opts.fn(v);
    },
  ],
]);

const BUILTINS = new Map<string, Helper>([
  ['lookup', (obj: unknown, key: unknown) => lookup(obj, String(key))],
  ['log', () => ''],
]);
