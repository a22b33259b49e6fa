import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { didYouMean, type Diagnostic } from '../errors.js';
import { checkConfig, type ConfigLayer } from '../project/config.js';
import type { SourceFile } from '../project/load.js';
import type { ProjectDef } from '../project/parse.js';
import type { Fingerprint, MacroDef, ModelNode, Node, NodeId, Relation, SeedNode, SourceNode, TestNode } from '../types.js';
import { sha256, varChecksums } from './fingerprint.js';
import { loadHelperModules } from './helpers.js';
import type { RenderEnv } from './render.js';
import { rendering } from './rendering.js';
import { extractFacts, parseTemplate, type TemplateFacts } from './templates.js';

export interface CompileOptions {
  readonly invocationId: string;
  readonly runStartedAt: Date;
  readonly env?: NodeJS.ProcessEnv;
  /** `--empty`: a model's refs and sources render as zero rows (tests, hooks and unit tests render as usual). */
  readonly empty?: boolean;
  /** `--defer`: refs to these nodes render as the deferred target's relations (see src/state/defer.ts). */
  readonly deferred?: ReadonlyMap<NodeId, Relation>;
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
  render(parsed: Parsed, node: ModelNode | TestNode, thisSql: string, mock?: Mock, incremental?: boolean, hook?: boolean): { sql: string; ephemerals: string[] } | undefined;
  /** A model's SQL with its ephemeral parents as CTEs, rendered once (undefined: it failed). */
  renderModel(id: NodeId): string | undefined;
  /** The partials and helpers a template uses, and the vars it reads. */
  uses(facts: TemplateFacts): Pick<Fingerprint, 'macros' | 'vars'>;
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
  const { resolveRef, resolveSource } = resolution(diagnostics, byName, disabled, sources);
  const edgesOf = (p: Parsed): NodeId[] => {
    const ids = [
      ...p.facts.refs.map((r) => resolveRef(r.name, p.file.path, r.line)?.id),
      ...p.facts.sources.map((s) => resolveSource(s.source, s.table, p.file.path, s.line)?.id),
    ];
    return [...new Set(ids.filter((id): id is NodeId => id !== undefined))];
  };

  const runStartedAt = opts.runStartedAt.toISOString();
  const { renderEnv, render, renderModel } = rendering({ def, opts, diagnostics, nodes, byName, sources, parsedModels, rendered, partialAsts, partialFiles, userHelpers });

  const macros = macroDefs(def, helperFiles);
  const varSums = new Map<string, string | null>();
  const uses = (facts: TemplateFacts): Pick<Fingerprint, 'macros' | 'vars'> => ({
    macros: [...[...facts.partials].map((p) => `macro.${p}`), ...[...facts.helpers].filter((h) => userHelpers.has(h)).map((h) => `helper.${h}`)].sort(),
    vars: varChecksums(facts.vars, def.vars, varSums),
  });

  return { def, opts, runStartedAt, diagnostics, nodes, byName, disabled, sources, parsedModels, rendered, partialAsts, renderEnv, macros, parse, resolveRef, resolveSource, edgesOf, render, renderModel, uses };
}

/** Refs and sources by name; an unknown or disabled one is reported where it is named. */
function resolution(diagnostics: Diagnostic[], byName: ReadonlyMap<string, ModelNode | SeedNode>, disabled: ReadonlySet<string>, sources: ReadonlyMap<NodeId, SourceNode>): Pick<Compilation, 'resolveRef' | 'resolveSource'> {
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
  return { resolveRef, resolveSource };
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
