import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { didYouMean, type Diagnostic } from '../errors.js';
import { checkConfig, type ConfigLayer } from '../project/config.js';
import type { SourceFile } from '../project/load.js';
import type { ProjectDef } from '../project/parse.js';
import { quoteIdent, quoteRelation, type Fingerprint, type MacroDef, type ModelNode, type Node, type NodeId, type SeedNode, type SourceNode, type TestNode } from '../types.js';
import { sha256, varChecksums } from './fingerprint.js';
import { loadHelperModules, type HelperFn } from './helpers.js';
import { RenderError, renderTemplate, type Helper, type RenderEnv } from './render.js';
import { envHelper, extractFacts, parseTemplate, targetContext, varHelper, type TemplateFacts } from './templates.js';

export interface CompileOptions {
  readonly invocationId: string;
  readonly runStartedAt: Date;
  readonly env?: NodeJS.ProcessEnv;
}

/** A template ready to render, with what its syntax tree says. */
export interface Parsed {
  readonly file: SourceFile;
  readonly ast: hbs.AST.Program;
  readonly facts: TemplateFacts;
  /** Its syntax tree has mistakes (reported): it is not rendered, so nothing is reported twice. */
  readonly broken?: boolean;
}

/** Unit tests render every ref and source as a mock relation. */
export type Mock = (input: Node) => string;

/**
 * One compile in progress, shared by the steps of each node kind (compile/nodes/): the project, the nodes made
 * so far, name resolution and rendering. User mistakes go to `diagnostics`.
 */
export interface Compilation {
  readonly def: ProjectDef;
  readonly opts: CompileOptions;
  readonly runStartedAt: string;
  readonly diagnostics: Diagnostic[];
  readonly nodes: Record<NodeId, Node>;
  /** Models and seeds by name: what refs resolve to. */
  readonly byName: Map<string, ModelNode | SeedNode>;
  /** Names of disabled models and seeds, for the message of a ref to one. */
  readonly disabled: Set<string>;
  readonly sources: Map<NodeId, SourceNode>;
  /** SQL models' templates, rendered once every model is known. */
  readonly parsedModels: Map<NodeId, Parsed>;
  /** Models' rendered SQL (ephemeral parents inlined). */
  readonly rendered: Map<NodeId, string>;
  readonly partialAsts: ReadonlyMap<string, hbs.AST.Program>;
  readonly renderEnv: RenderEnv;
  /** Every partial and helper, for manifest.json. */
  readonly macros: Readonly<Record<string, MacroDef>>;
  parse(file: SourceFile): Parsed | undefined;
  resolveRef(name: string, file: string, line?: number): ModelNode | SeedNode | undefined;
  resolveSource(source: string, table: string, file: string, line?: number): SourceNode | undefined;
  /** The nodes a template's refs and sources name (unknown ones reported). */
  edgesOf(p: Parsed): NodeId[];
  render(parsed: Parsed, node: ModelNode | TestNode, thisSql: string, mock?: Mock, incremental?: boolean): { sql: string; ephemerals: string[] } | undefined;
  /** A model's SQL with its ephemeral parents as CTEs, rendered once (undefined: it failed). */
  renderModel(id: NodeId): string | undefined;
  /** The partials and helpers a template uses, and the vars it reads. */
  uses(facts: TemplateFacts): Pick<Fingerprint, 'macros' | 'vars'>;
}

const STATE = Symbol('eider-render-state');

/** The per-render state helpers reach through `options.data.root`. */
interface RenderState {
  readonly node: ModelNode | TestNode;
  readonly ephemerals: string[];
  readonly mock?: Mock;
}

export async function startCompilation(def: ProjectDef, opts: CompileOptions): Promise<Compilation> {
  const diagnostics: Diagnostic[] = [];
  const helperFiles = new Map<string, string>();
  const userHelpers = await loadHelperModules(def.root, def.helperModules, diagnostics, helperFiles);
  const partialAsts = new Map<string, hbs.AST.Program>();
  for (const p of def.partials) {
    const ast = parseTemplate(p.text, p.path, diagnostics);
    if (ast) partialAsts.set(basename(p.path, '.sql'), ast);
  }
  const partialFiles = new Map(def.partials.map((p) => [basename(p.path, '.sql'), p.path]));
  const helperNames = new Set(['ref', 'source', 'config', 'var', 'env', ...userHelpers.keys()]);
  const nodes: Record<NodeId, Node> = {};
  const byName = new Map<string, ModelNode | SeedNode>();
  const disabled = new Set<string>();
  const sources = new Map<NodeId, SourceNode>();
  const parsedModels = new Map<NodeId, Parsed>();
  const rendered = new Map<NodeId, string>();

  const parse = (file: SourceFile): Parsed | undefined => {
    const ast = parseTemplate(file.text, file.path, diagnostics);
    if (!ast) return undefined;
    const before = diagnostics.length;
    const facts = extractFacts(ast, file.path, partialAsts, helperNames, diagnostics, partialFiles);
    return { file, ast, facts, broken: diagnostics.slice(before).some((d) => d.severity === 'error') };
  };
  const resolveRef = (name: string, file: string, line?: number): ModelNode | SeedNode | undefined => {
    const target = byName.get(name);
    if (!target) {
      const why = disabled.has(name) ? `ref "${name}": that model is disabled` : `unknown ref "${name}"${didYouMean(name, byName.keys())}`;
      diagnostics.push({ severity: 'error', file, line, message: why });
    }
    return target;
  };
  const resolveSource = (source: string, table: string, file: string, line?: number): SourceNode | undefined => {
    const node = sources.get(`source.${source}.${table}`);
    if (!node) {
      const known = [...sources.values()].map((s) => `${s.sourceName}.${s.tableName}`);
      diagnostics.push({ severity: 'error', file, line, message: `unknown source "${source}.${table}"${didYouMean(`${source}.${table}`, known)}` });
    }
    return node;
  };
  const edgesOf = (p: Parsed): NodeId[] => {
    const ids = [
      ...p.facts.refs.map((r) => resolveRef(r.name, p.file.path, r.line)?.id),
      ...p.facts.sources.map((s) => resolveSource(s.source, s.table, p.file.path, s.line)?.id),
    ];
    return [...new Set(ids.filter((id): id is NodeId => id !== undefined))];
  };

  // Ephemeral models render on demand (memoized) so they can be inlined as CTEs.
  const renderer = {
    ref(name: string, options: { data: { root: unknown }; loc?: hbs.AST.SourceLocation }) {
      const st = (options.data.root as Record<symbol, RenderState | undefined>)[STATE];
      const node = byName.get(name);
      if (!node) return quoteIdent(name); // already reported when the edges were resolved
      if (st?.mock) return st.mock(node);
      if (node.kind === 'model' && node.materialized === 'ephemeral') {
        if (!st) return `(\n${renderModel(node.id) ?? 'select 1'}\n)`; // outside a model (a test macro): a subquery
        if (!st.ephemerals.includes(name)) st.ephemerals.push(name);
        return quoteIdent(ephemeralName(name));
      }
      return quoteRelation(node.relation);
    },
    source(source: string, table: string, options: { data: { root: unknown } }) {
      const st = (options.data.root as Record<symbol, RenderState | undefined>)[STATE];
      const node = sources.get(`source.${source}.${table}`);
      if (node && st?.mock) return st.mock(node);
      // An unknown source was reported when the edges were resolved.
      return node?.sql ?? quoteIdent(`${source}.${table}`);
    },
    config: () => '',
    var: varHelper(def.vars),
    env: envHelper(opts.env ?? process.env),
  };
  const checked = [...userHelpers].map(([name, fn]) => [name, checkedHelper(name, fn)] as const);
  const renderEnv: RenderEnv = { helpers: new Map<string, Helper>([...(Object.entries(renderer) as Array<[string, Helper]>), ...checked]), partials: partialAsts };

  const target = targetContext(def.target);
  const runStartedAt = opts.runStartedAt.toISOString();
  const render: Compilation['render'] = (parsed, node, thisSql, mock, incremental = false) => {
    const state: RenderState = { node, ephemerals: [], mock };
    const context = {
      [STATE]: state,
      toString: () => thisSql,
      target,
      is_incremental: incremental,
      run_started_at: runStartedAt,
      invocation_id: opts.invocationId,
      model: { name: node.name },
      // {{this.schema}}, {{this.name}}, {{this.identifier}}: a test has no relation of its own.
      ...('relation' in node ? { schema: node.relation.schema, name: node.relation.name, identifier: node.relation.name } : {}),
    };
    if (parsed.broken) return undefined;
    try {
      const sql = renderTemplate(parsed.ast, context, renderEnv);
      return { sql, ephemerals: state.ephemerals };
    } catch (e) {
      const r = e instanceof RenderError ? e : undefined;
      const inMacro = r?.partial !== undefined ? partialFiles.get(r.partial) : undefined;
      const message = `${(e as Error).message.split('\n')[0]}${inMacro ? ` (rendering ${parsed.file.path})` : ''}`;
      diagnostics.push({ severity: 'error', file: inMacro ?? parsed.file.path, line: r?.line, message });
      return undefined;
    }
  };

  const rendering = new Set<NodeId>();
  const renderModel = (id: NodeId): string | undefined => {
    const done = rendered.get(id);
    if (done !== undefined) return done;
    const node = nodes[id] as ModelNode;
    if (rendering.has(id)) return undefined; // an ephemeral cycle: reported by the graph stage
    rendering.add(id);
    const out = render(parsedModels.get(id)!, node, quoteRelation(node.relation));
    let sql: string | undefined;
    if (out) {
      const ctes = out.ephemerals.map((name) => ({ name, sql: renderModel(`model.${name}`) }));
      sql = ctes.some((c) => c.sql === undefined) ? undefined : withCtes(out.sql, ctes as Array<{ name: string; sql: string }>);
    }
    rendering.delete(id);
    if (sql !== undefined) rendered.set(id, sql);
    return sql;
  };

  const macros = macroDefs(def, helperFiles);
  const varSums = new Map<string, string | null>();
  const uses = (facts: TemplateFacts): Pick<Fingerprint, 'macros' | 'vars'> => ({
    macros: [...[...facts.partials].map((p) => `macro.${p}`), ...[...facts.helpers].filter((h) => userHelpers.has(h)).map((h) => `helper.${h}`)].sort(),
    vars: varChecksums(facts.vars, def.vars, varSums),
  });

  return { def, opts, runStartedAt, diagnostics, nodes, byName, disabled, sources, parsedModels, rendered, partialAsts, renderEnv, macros, parse, resolveRef, resolveSource, edgesOf, render, renderModel, uses };
}

/** The project's partials and helpers, each with its file's checksum (a helper's is its module's). */
function macroDefs(def: ProjectDef, helperFiles: ReadonlyMap<string, string>): Record<string, MacroDef> {
  const out: Record<string, MacroDef> = {};
  for (const p of def.partials) {
    const name = basename(p.path, '.sql');
    out[`macro.${name}`] = { id: `macro.${name}`, name, kind: 'macro', file: p.path, checksum: sha256(p.text) };
  }
  const moduleSums = new Map<string, string>();
  for (const [name, file] of helperFiles) {
    let sum = moduleSums.get(file);
    if (sum === undefined) moduleSums.set(file, (sum = sha256(readFileSync(join(def.root, file)))));
    out[`helper.${name}`] = { id: `helper.${name}`, name, kind: 'helper', file, checksum: sum };
  }
  return out;
}

/**
 * A project's helper, checked where it is called: fewer arguments than it declares (Handlebars' options object
 * would take a missing one's place and render as [object Object]) and a throw are mistakes at the template's line.
 */
function checkedHelper(name: string, fn: HelperFn): Helper {
  return function (this: unknown, ...args: unknown[]) {
    const line = (args[args.length - 1] as { loc?: hbs.AST.SourceLocation }).loc?.start.line;
    const given = args.length - 1;
    const arity = `helper "${name}" takes ${fn.length} argument${fn.length === 1 ? '' : 's'}, got ${given}`;
    if (fn.length > given + 1) throw new RenderError(arity, line);
    let out: unknown;
    try {
      out = fn.apply(this, args);
    } catch (e) {
      const message = String((e as Error)?.message ?? e).split('\n').filter((l) => l.trim() !== '').join(' ');
      throw new RenderError(`helper "${name}" failed: ${message}${fn.length > given ? ` (${arity})` : ''}`, line);
    }
    if (typeof out === 'string' && out.includes('[object Object]')) throw new RenderError(fn.length > given ? arity : `helper "${name}" put [object Object] into the SQL`, line);
    return out;
  };
}

/** A template's `{{config …}}` calls as a config layer; a bad key or value is reported at its line. */
export function inFileConfig(parsed: Parsed, diagnostics: Diagnostic[], kind: 'model' | 'test' = 'model'): ConfigLayer {
  const values: Record<string, unknown> = {};
  for (const c of parsed.facts.config) {
    let value = c.value;
    if (c.key === 'tags' && typeof value === 'string') value = value.split(',').map((t) => t.trim()).filter(Boolean);
    const problem = checkConfig(kind, c.key, value);
    if (problem) diagnostics.push({ severity: 'error', file: parsed.file.path, line: c.line, message: problem });
    else values[c.key] = value;
  }
  return { values, origin: { file: parsed.file.path } };
}

export function ephemeralName(model: string): string {
  return `__eider_ephemeral__${model}`;
}

/** Prepends ephemeral models as CTEs, merging with a leading WITH of the model's own. */
export function withCtes(sql: string, ctes: ReadonlyArray<{ name: string; sql: string }>): string {
  if (ctes.length === 0) return sql;
  const defs = ctes.map((c) => `${quoteIdent(ephemeralName(c.name))} as (\n${c.sql}\n)`).join(',\n');
  const lead = /^(\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*)with\s+(recursive\s+)?/i.exec(sql);
  if (lead) return `${lead[1]}with ${lead[2] ?? ''}${defs},\n${sql.slice(lead[0].length)}`;
  return `with ${defs}\n${sql}`;
}
