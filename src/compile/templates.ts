import { createRequire } from 'node:module';
import { didYouMean, type Diagnostic } from '../errors.js';
import { registerSecret } from '../secrets.js';
import type { TargetDef } from '../types.js';
import { fastParse } from './fast-parse.js';
import { RenderError, type Helper } from './render.js';

type AST = hbs.AST.Program;
type Stmt = hbs.AST.Statement;
type Expr = hbs.AST.Expression;

/** What a template says about itself, read from its syntax tree without rendering it. */
export interface TemplateFacts {
  readonly refs: Array<{ name: string; line: number }>;
  readonly sources: Array<{ source: string; table: string; line: number }>;
  readonly config: Array<{ key: string; value: unknown; line: number }>;
  readonly partials: Set<string>;
  /** Helpers it calls and vars it reads by a literal name, its partials' included. */
  readonly helpers: Set<string>;
  readonly vars: Set<string>;
}

/** Names a model template may read from its context; everything else is a helper or an error. */
export const CONTEXT_NAMES = ['this', 'target', 'is_incremental', 'run_started_at', 'invocation_id', 'model'];
/** What `{{target.…}}` reads: the target being built. */
export const TARGET_FIELDS = ['name', 'profile', 'path', 'threads', 'schema'];
/** The `target` a template reads: the fields of TARGET_FIELDS. */
export function targetContext(t: TargetDef): Readonly<Record<string, string | number>> {
  return { name: t.name, profile: t.profile, path: t.path, threads: t.threads, schema: t.schema };
}
/** `{{var "name" "default"}}`: a project var (`--vars` wins), else the default; neither is an error at its line. */
export function varHelper(vars: Readonly<Record<string, unknown>>): Helper {
  return (...args: unknown[]) => {
    const options = args.pop() as { loc?: hbs.AST.SourceLocation };
    const [name, fallback] = args as [string, unknown];
    if (Object.hasOwn(vars, name)) return vars[name];
    if (fallback !== undefined) return fallback;
    throw new RenderError(`var "${name}" is not defined in project.yml vars or --vars, and has no default`, options.loc?.start.line);
  };
}

/** `{{env "NAME" "default"}}`: an environment variable, which becomes a secret; unset without a default is an error at its line. */
export function envHelper(env: NodeJS.ProcessEnv): Helper {
  return (...args: unknown[]) => {
    const options = args.pop() as { loc?: hbs.AST.SourceLocation };
    const [name, fallback] = args as [string, unknown];
    const value = env[name];
    if (value !== undefined) {
      registerSecret(value);
      return value;
    }
    if (fallback !== undefined) return fallback;
    throw new RenderError(`environment variable ${name} is not set and has no default`, options.loc?.start.line);
  };
}

/** What `{{this.…}}` reads: the relation the model builds (`{{this}}` is its quoted name). */
export const THIS_FIELDS = ['schema', 'name', 'identifier'];
const BUILTIN_HELPERS = ['if', 'unless', 'each', 'with', 'lookup', 'log'];

/** Handlebars itself, loaded only when a template leaves the fast parser's subset (it costs ~40 ms to load). */
function handlebars(): typeof import('handlebars') {
  return createRequire(import.meta.url)('handlebars') as typeof import('handlebars');
}

/** The fast parser for the common subset; Handlebars' own parser for the rest and for every syntax error. */
export function parseTemplate(text: string, file: string, diagnostics: Diagnostic[]): AST | undefined {
  const fast = fastParse(text);
  if (fast) return fast;
  try {
    return handlebars().parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const m = /line (\d+)/.exec(message);
    const expecting = /Expecting (.*), got '([^']+)'/.exec(message);
    const detail = expecting ? `unexpected ${expecting[2]} in template` : message.split('\n')[0];
    diagnostics.push({ severity: 'error', file, line: m ? Number(m[1]) : undefined, message: `Handlebars syntax error: ${detail}` });
    return undefined;
  }
}

/**
 * Walks the syntax tree: every `ref`, `source` and `config` call counts, in any branch.
 * Arguments must be literals, so the DAG never depends on data. Unknown names are reported.
 */
export function extractFacts(
  ast: AST,
  file: string,
  partials: ReadonlyMap<string, AST>,
  helpers: ReadonlySet<string>,
  diagnostics: Diagnostic[],
  partialFiles: ReadonlyMap<string, string> = new Map(),
): TemplateFacts {
  const facts: TemplateFacts = { refs: [], sources: [], config: [], partials: new Set(), helpers: new Set(), vars: new Set() };
  // A mistake inside a macro is at the macro's own file and line.
  let at = file;
  const err = (node: hbs.AST.Node, message: string) => diagnostics.push({ severity: 'error', file: at, line: node.loc?.start.line, message });
  const seenPartials = new Set<string>();

  const literal = (e: Expr): unknown => {
    switch (e.type) {
      case 'StringLiteral':
      case 'NumberLiteral':
      case 'BooleanLiteral':
        return (e as hbs.AST.StringLiteral).value;
      default:
        return undefined;
    }
  };

  const call = (node: hbs.AST.MustacheStatement | hbs.AST.SubExpression | hbs.AST.BlockStatement, depth: number, inPartial: boolean) => {
    const path = node.path as hbs.AST.PathExpression;
    const name = path.original;
    const args = node.params.map(literal);
    const line = node.loc?.start.line ?? 0;
    if (helpers.has(name)) facts.helpers.add(name);
    if (name === 'var' && typeof args[0] === 'string') facts.vars.add(args[0]);
    if (name === 'ref' || name === 'source') {
      const want = name === 'ref' ? 1 : 2;
      if (node.params.length !== want || args.some((a) => typeof a !== 'string')) {
        err(node, name === 'ref' ? 'ref takes one literal model name: {{ref "stg_orders"}}' : 'source takes two literal names: {{source "raw" "orders"}}');
      } else if (name === 'ref') facts.refs.push({ name: args[0] as string, line });
      else facts.sources.push({ source: args[0] as string, table: args[1] as string, line });
    } else if (name === 'config') {
      if (inPartial) err(node, 'config belongs in the model file, not in a macro');
      for (const pair of node.hash?.pairs ?? []) {
        const v = literal(pair.value);
        if (v === undefined) err(node, `config ${pair.key} must be a literal value`);
        else facts.config.push({ key: pair.key, value: v, line });
      }
    } else if (node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0 || node.type === 'BlockStatement') {
      if (!helpers.has(name) && !BUILTIN_HELPERS.includes(name) && path.data !== true) {
        err(node, `unknown helper "${name}"${didYouMean(name, [...helpers, ...BUILTIN_HELPERS])}`);
      }
    } else if (!inPartial && depth === 0 && path.type === 'PathExpression') {
      const problem = unknownName(path, helpers);
      if (problem) err(node, problem);
    }
    // A name passed to ref, source or config was reported above: they take literals only.
    const names = !['ref', 'source', 'config'].includes(name);
    for (const p of node.params) expr(p, depth, inPartial, node, names);
    for (const p of node.hash?.pairs ?? []) expr(p.value, depth, inPartial, node, names);
  };

  // A macro called from the model itself gets the arguments it always reads.
  const macroArguments = (p: hbs.AST.PartialStatement, name: string, partial: AST) => {
    const given = new Set((p.hash?.pairs ?? []).map((pair) => pair.key));
    const missing = [...requiredNames(partial, helpers)].filter((n) => !given.has(n) && !CONTEXT_NAMES.includes(n));
    const s = missing.length > 1 ? 's' : '';
    if (missing.length > 0) err(p, `macro "${name}" needs the argument${s} ${missing.join(', ')}: {{> ${name} ${missing.map((m) => `${m}=…`).join(' ')}}}`);
  };

  const expr = (e: Expr, depth: number, inPartial: boolean, at: hbs.AST.Node, names = true) => {
    if (e.type === 'SubExpression') call(e as hbs.AST.SubExpression, depth, inPartial);
    else if (e.type === 'PathExpression' && names && !inPartial && depth === 0) {
      const problem = unknownName(e as hbs.AST.PathExpression, helpers);
      if (problem) err(e.loc ? e : at, problem);
    }
  };

  const walk = (program: AST | undefined, depth: number, inPartial: boolean) => {
    for (const s of program?.body ?? ([] as Stmt[])) {
      switch (s.type) {
        case 'MustacheStatement':
          call(s as hbs.AST.MustacheStatement, depth, inPartial);
          break;
        case 'BlockStatement': {
          const b = s as hbs.AST.BlockStatement;
          call(b, depth, inPartial);
          const name = (b.path as hbs.AST.PathExpression).original;
          const inner = name === 'each' || name === 'with' ? depth + 1 : depth;
          walk(b.program, inner, inPartial);
          walk(b.inverse, inner, inPartial);
          break;
        }
        case 'PartialStatement': {
          const p = s as hbs.AST.PartialStatement;
          const name = (p.name as hbs.AST.PathExpression).original;
          for (const pair of p.hash?.pairs ?? []) expr(pair.value, depth, inPartial, p);
          const partial = partials.get(name);
          if (!partial) err(p, `unknown macro "${name}"${didYouMean(name, partials.keys())}`);
          else if (depth === 0 && !inPartial && p.params.length === 0) macroArguments(p, name, partial);
          if (partial && !seenPartials.has(name)) {
            seenPartials.add(name);
            facts.partials.add(name);
            const caller = at;
            at = partialFiles.get(name) ?? file;
            walk(partial, depth, true);
            at = caller;
          }
          break;
        }
        case 'PartialBlockStatement':
        case 'DecoratorBlock':
        case 'Decorator':
          err(s, `${s.type} is not supported in eider templates`);
          break;
        default:
          break;
      }
    }
  };
  walk(ast, 0, false);
  return facts;
}

/** Why a name a model reads from its context is unknown, or undefined when it is known. */
function unknownName(path: hbs.AST.PathExpression, helpers: ReadonlySet<string>): string | undefined {
  if (path.data || path.parts.length === 0) return undefined;
  const unknown = (name: string, known: readonly string[]) => `unknown name "${name}"${didYouMean(name, known)}`;
  if (/^this[./]/.test(path.original)) {
    const name = `this.${path.parts.join('.')}`;
    return path.parts.length === 1 && THIS_FIELDS.includes(path.parts[0]) ? undefined : unknown(name, THIS_FIELDS.map((f) => `this.${f}`));
  }
  const head = path.parts[0];
  if (head === 'target' && path.parts.length > 1) {
    const name = path.parts.join('.');
    return path.parts.length === 2 && TARGET_FIELDS.includes(path.parts[1]) ? undefined : unknown(name, TARGET_FIELDS.map((f) => `target.${f}`));
  }
  return helpers.has(head) || CONTEXT_NAMES.includes(head) ? undefined : unknown(head, [...CONTEXT_NAMES, ...helpers]);
}

/** Arguments a macro always reads: names outside every block (one read only under `{{#if}}` is optional). */
function requiredNames(ast: AST, helpers: { has(name: string): boolean }): Set<string> {
  const always = ast.body.filter((s) => s.type === 'MustacheStatement' && !/^(this\b|\.)/.test(((s as hbs.AST.MustacheStatement).path as hbs.AST.PathExpression).original));
  return contextNames({ ...ast, body: always }, helpers);
}

/** Names a macro reads from its context (the arguments it expects), outside `each`/`with` blocks. */
export function contextNames(ast: AST, helpers: { has(name: string): boolean }): Set<string> {
  const names = new Set<string>();
  const path = (e: Expr | hbs.AST.PathExpression) => {
    if (e.type === 'PathExpression') {
      const p = e as hbs.AST.PathExpression;
      if (!p.data && p.parts.length > 0 && !helpers.has(p.parts[0])) names.add(p.parts[0]);
    } else if (e.type === 'SubExpression') call(e as hbs.AST.SubExpression);
  };
  const call = (n: hbs.AST.MustacheStatement | hbs.AST.SubExpression | hbs.AST.BlockStatement) => {
    const head = n.path as hbs.AST.PathExpression;
    if (n.params.length === 0 && (n.hash?.pairs.length ?? 0) === 0 && n.type === 'MustacheStatement') path(head);
    for (const p of n.params) path(p);
    for (const p of n.hash?.pairs ?? []) path(p.value);
  };
  const walk = (program: AST | undefined, depth: number) => {
    for (const s of program?.body ?? ([] as Stmt[])) {
      if (s.type === 'MustacheStatement') {
        if (depth === 0) call(s as hbs.AST.MustacheStatement);
      } else if (s.type === 'BlockStatement') {
        const b = s as hbs.AST.BlockStatement;
        if (depth === 0) call(b);
        const name = (b.path as hbs.AST.PathExpression).original;
        const inner = name === 'each' || name === 'with' ? depth + 1 : depth;
        walk(b.program, inner);
        walk(b.inverse, inner);
      }
    }
  };
  walk(ast, 0);
  return names;
}
