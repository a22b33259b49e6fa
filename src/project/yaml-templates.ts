import { evaluate, RenderError, renderTemplate } from '../compile/render.js';
import { envHelper, parseTemplate, TARGET_FIELDS, targetContext, varHelper } from '../compile/templates.js';
import { didYouMean, type Diagnostic } from '../errors.js';
import type { TargetDef } from '../types.js';
import { docHelper, type DocBlock } from './doc-blocks.js';
import type { YamlFile, YNode } from './yaml.js';

/** What a template in a YAML value may read. */
export interface YamlTemplateContext {
  readonly vars: Readonly<Record<string, unknown>>;
  readonly env: NodeJS.ProcessEnv;
  readonly target: TargetDef;
  /** The project's doc blocks, for `{{doc "name"}}`. */
  readonly docs?: readonly DocBlock[];
}

/** Keys whose values are SQL templates, rendered later with the model they belong to (`{{this}}` and all). */
export const SQL_TEMPLATE_KEYS: ReadonlySet<string> = new Set(['pre_hook', 'post_hook', '+pre_hook', '+post_hook']);

const ALLOWED = 'only {{var …}}, {{env …}}, {{doc …}} and {{target.…}} can be used in a YAML value';

/**
 * Renders `{{var}}`, `{{env}}` and `{{target.…}}` in every string value under `node`, in place (values under a
 * key in `skip` stay as written). A value that is one `{{…}}` and nothing else keeps the type of what it
 * renders (a var may be a number or a list). Anything else in braces is an error at its line.
 * Returns the node with its rendered value.
 */
export function renderYamlTemplates(y: YamlFile, node: YNode | undefined, ctx: YamlTemplateContext, skip: ReadonlySet<string> = new Set()): YNode | undefined {
  if (!node) return node;
  const v = node.value;
  if (typeof v === 'string') return { ...node, value: renderValue(y, v, node.line ?? 1, ctx) };
  if (Array.isArray(v)) y.items(node, '').forEach((item, i) => (v[i] = renderYamlTemplates(y, item, ctx, skip)!.value));
  else if (v !== null && typeof v === 'object') {
    const map = v as Record<string, unknown>;
    for (const p of y.pairs(node, '')) if (!skip.has(p.key)) map[p.key] = renderYamlTemplates(y, p.value, ctx, skip)!.value;
  }
  return node;
}

function renderValue(y: YamlFile, text: string, line: number, ctx: YamlTemplateContext): unknown {
  if (!text.includes('{{')) return text;
  const at = (inner: number | undefined) => fileLine(y, line, text.split('\n')[(inner ?? 1) - 1] ?? '', inner ?? 1);
  const local: Diagnostic[] = [];
  const ast = parseTemplate(text, y.file, local);
  for (const d of local) y.diagnostics.push({ ...d, line: at(d.line) });
  if (!ast) return text;
  let ok = true;
  for (const s of ast.body) {
    const problem = yamlProblem(s);
    if (problem) {
      y.diagnostics.push({ severity: 'error', file: y.file, line: at(s.loc?.start.line), message: problem });
      ok = false;
    }
  }
  if (!ok) return text;
  const env = { helpers: new Map([['var', varHelper(ctx.vars)], ['env', envHelper(ctx.env)], ['doc', docHelper(ctx.docs ?? [])]]), partials: new Map() };
  const context = { target: targetContext(ctx.target) };
  try {
    const [first] = ast.body;
    // One template and nothing else: its value as it is, not made text.
    return ast.body.length === 1 && first.type === 'MustacheStatement' ? evaluate(first as hbs.AST.MustacheStatement, context, env) : renderTemplate(ast, context, env);
  } catch (e) {
    y.diagnostics.push({ severity: 'error', file: y.file, line: at(e instanceof RenderError ? e.line : undefined), message: (e as Error).message.split('\n')[0] });
    return text;
  }
}

/**
 * The line in the file of a template's `inner`th line, for a value starting at `start`: found by its text
 * (a block scalar starts below its key; quoting may hide it, then counted from the start).
 */
function fileLine(y: YamlFile, start: number, text: string, inner: number): number {
  const want = text.trim();
  const lines = y.text.split('\n');
  for (let l = start; want !== '' && l <= Math.min(lines.length, start + inner); l++) if (lines[l - 1].includes(want)) return l;
  return start + inner - 1;
}

/** Why a statement cannot be rendered in a YAML value, or undefined when it can. */
function yamlProblem(s: hbs.AST.Statement): string | undefined {
  if (s.type === 'ContentStatement' || s.type === 'CommentStatement') return undefined;
  if (s.type !== 'MustacheStatement') return `${s.type === 'PartialStatement' ? 'a macro ({{> …}})' : 'a block ({{#…}})'} cannot be used in a YAML value: ${ALLOWED}`;
  const m = s as hbs.AST.MustacheStatement;
  const path = m.path as hbs.AST.PathExpression;
  const name = path.original;
  if (name === 'var' || name === 'env') {
    const literals = m.params.every((p) => p.type === 'StringLiteral' || p.type === 'NumberLiteral' || p.type === 'BooleanLiteral');
    return m.params.length >= 1 && m.params.length <= 2 && literals && (m.hash?.pairs.length ?? 0) === 0 ? undefined : `${name} takes a literal name and an optional default: {{${name} "name" "default"}}`;
  }
  if (name === 'doc') {
    return m.params.length === 1 && m.params[0].type === 'StringLiteral' && (m.hash?.pairs.length ?? 0) === 0 ? undefined : 'doc takes the name of a doc block: {{doc "name"}}';
  }
  if (path.type === 'PathExpression' && !path.data && path.parts[0] === 'target' && m.params.length === 0 && !/^this[./]/.test(name)) {
    const field = path.parts.slice(1).join('.');
    return path.parts.length === 2 && TARGET_FIELDS.includes(field) ? undefined : `unknown name "${name}"${didYouMean(name, TARGET_FIELDS.map((f) => `target.${f}`))}`;
  }
  return `{{${name ?? ''}}} cannot be used in a YAML value: ${ALLOWED}`;
}
