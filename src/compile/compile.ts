import { basename, isAbsolute, join, resolve, sep } from 'node:path';
import { didYouMean, type Diagnostic } from '../errors.js';
import { checkConfig, configOrigin, mergeConfig, type ConfigLayer } from '../project/config.js';
import type { ModelDef, ProjectDef } from '../project/parse.js';
import type { SourceFile } from '../project/load.js';
import type { SourceTableDef, TestDecl } from '../project/properties.js';
import { holdsSecret, registerSecret } from '../secrets.js';
import { HISTORY_SCHEMA } from '../publish/history.js';
import { AUDIT_SCHEMA } from '../plan/plan.js';
import {
  MOCK_SCHEMA,
  quoteIdent,
  quoteLiteral,
  quoteRelation,
  relation,
  type Manifest,
  type Materialization,
  type ModelNode,
  type Node,
  type NodeId,
  type Relation,
  type RowsDef,
  type SeedNode,
  type Severity,
  type SourceNode,
  type TestNode,
} from '../types.js';
import { GENERIC_TESTS, parseRefTarget } from './generic-tests.js';
import { loadHelperModules, type HelperFn } from './helpers.js';
import { readJsModel, type JsModelFacts } from './js-models.js';
import { RenderError, renderTemplate, type Helper, type RenderEnv } from './render.js';
import { contextNames, envHelper, extractFacts, parseTemplate, targetContext, varHelper, type TemplateFacts } from './templates.js';

export interface CompileOptions {
  readonly invocationId: string;
  readonly runStartedAt: Date;
  readonly env?: NodeJS.ProcessEnv;
  /** `--defer`: refs to these nodes render as the deferred target's relations (see src/state/defer.ts). */
  readonly deferred?: ReadonlyMap<NodeId, Relation>;
}

/** A template ready to render, with what its syntax tree says. */
interface Parsed {
  readonly file: SourceFile;
  readonly ast: hbs.AST.Program;
  readonly facts: TemplateFacts;
  /** Its syntax tree has mistakes (reported): it is not rendered, so nothing is reported twice. */
  readonly broken?: boolean;
}

const STATE = Symbol('eider-render-state');

/** The per-render state helpers reach through `options.data.root`. */
interface RenderState {
  readonly node: ModelNode | TestNode;
  readonly ephemerals: string[];
  /** Unit tests render every ref and source as a mock relation. */
  readonly mock?: (input: Node) => string;
}

/** ProjectDef → Manifest: nodes with their edges and rendered SQL. User mistakes become diagnostics. */
export async function compileProject(def: ProjectDef, opts: CompileOptions): Promise<Manifest> {
  const diagnostics: Diagnostic[] = [];
  const env = opts.env ?? process.env;
  const userHelpers = await loadHelperModules(def.root, def.helperModules, diagnostics);
  const partialAsts = new Map<string, hbs.AST.Program>();
  for (const p of def.partials) {
    const ast = parseTemplate(p.text, p.path, diagnostics);
    if (ast) partialAsts.set(basename(p.path, '.sql'), ast);
  }
  const partialFiles = new Map(def.partials.map((p) => [basename(p.path, '.sql'), p.path]));
  const helperNames = new Set(['ref', 'source', 'config', 'var', 'env', ...userHelpers.keys()]);
  const parse = (file: SourceFile): Parsed | undefined => {
    const ast = parseTemplate(file.text, file.path, diagnostics);
    if (!ast) return undefined;
    const before = diagnostics.length;
    const facts = extractFacts(ast, file.path, partialAsts, helperNames, diagnostics, partialFiles);
    return { file, ast, facts, broken: diagnostics.slice(before).some((d) => d.severity === 'error') };
  };

  const nodes: Record<NodeId, Node> = {};
  const byName = new Map<string, ModelNode | SeedNode>();
  const disabled = new Set<string>();
  const parsedModels = new Map<NodeId, Parsed>();

  // Seeds and models first: their relations are what refs render to.
  for (const seed of def.seeds) {
    const config = mergeConfig(seed.layers);
    if (config.enabled === false) {
      disabled.add(seed.name);
      continue;
    }
    const node: SeedNode = {
      id: `seed.${seed.name}`,
      kind: 'seed',
      name: seed.name,
      origin: { file: seed.file, line: 1 },
      description: seed.props?.description ?? '',
      tags: config.tags as string[],
      meta: (config.meta as Record<string, unknown>) ?? {},
      dependsOn: [],
      relation: relation((config.schema as string) ?? def.target.schema, (config.alias as string) ?? seed.name),
      path: join(def.root, seed.file),
      columnTypes: (config.column_types as Record<string, string>) ?? {},
      columnTypesOrigin: configOrigin(seed.layers, 'column_types'),
      delimiter: config.delimiter as string | undefined,
      columns: seed.props?.columns ?? [],
    };
    nodes[node.id] = node;
    byName.set(seed.name, node);
  }
  const jsFacts = new Map<NodeId, JsModelFacts>();
  for (const model of def.models) {
    if (model.language === 'js') {
      const facts = await readJsModel(def.root, model, diagnostics);
      if (!facts) continue;
      const config = mergeConfig([...model.layers, facts.config]);
      if (config.enabled === false) {
        disabled.add(model.name);
        continue;
      }
      const node: ModelNode = {
        ...modelSkeleton(model, { file: model.file, ast: { type: 'Program', body: [] } as unknown as hbs.AST.Program, facts: { refs: [], sources: [], config: [], partials: new Set() } }, { ...config, materialized: 'table' }, opts.runStartedAt.toISOString(), def.target.schema),
        js: { path: join(def.root, model.file.path) },
      };
      nodes[node.id] = node;
      byName.set(model.name, node);
      jsFacts.set(node.id, facts);
      continue;
    }
    const parsed = parse(model.file);
    if (!parsed) continue;
    const inFile = inFileConfig(parsed, diagnostics);
    const config = mergeConfig([...model.layers, inFile]);
    if (config.enabled === false) {
      disabled.add(model.name);
      continue;
    }
    const node = {
      ...modelSkeleton(model, parsed, config, opts.runStartedAt.toISOString(), def.target.schema),
      contract: contractOf(model, config, diagnostics),
      freshness: model.props?.freshness,
      external: externalOf(def, model, config, diagnostics),
    };
    checkIncremental(node, diagnostics);
    nodes[node.id] = node;
    byName.set(model.name, node);
    parsedModels.set(node.id, parsed);
  }
  const sources = new Map<string, SourceNode>();
  const aliases = (def.target.attach ?? []).map((a) => a.alias);
  for (const s of def.sources) {
    if (s.database !== undefined && !aliases.includes(s.database)) {
      const known = aliases.length > 0 ? `; attached: ${aliases.join(', ')}` : `; add it to the target's attach: list in the profile`;
      diagnostics.push({ severity: 'error', ...s.databaseOrigin, message: `source "${s.sourceName}": database "${s.database}" is not attached by target "${def.target.name}"${didYouMean(s.database, aliases)}${known}` });
    }
    const node = sourceNode(def, s, byName);
    if (sources.has(node.id)) {
      diagnostics.push({ severity: 'error', file: s.origin.file, line: s.origin.line, message: `duplicate source table ${s.sourceName}.${s.name}` });
    }
    sources.set(node.id, node);
    nodes[node.id] = node;
  }

  // Resolve the edges each template declared.
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
  for (const [id, parsed] of parsedModels) nodes[id] = { ...(nodes[id] as ModelNode), dependsOn: edgesOf(parsed) };
  for (const [id, f] of jsFacts) {
    const file = (nodes[id] as ModelNode).origin.file;
    const ids = [...f.refs.map((r) => resolveRef(r, file)?.id), ...f.sources.map(([s, t]) => resolveSource(s, t, file)?.id)];
    nodes[id] = { ...(nodes[id] as ModelNode), dependsOn: [...new Set(ids.filter((x): x is NodeId => x !== undefined))] };
  }

  // Render. Ephemeral models render on demand (memoized) so they can be inlined as CTEs.
  const vars = def.vars;
  const deferredSql = (id: NodeId): string | undefined => {
    const r = opts.deferred?.get(id);
    return r && quoteRelation(r);
  };
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
      return deferredSql(node.id) ?? quoteRelation(node.relation);
    },
    source(source: string, table: string, options: { data: { root: unknown } }) {
      const st = (options.data.root as Record<symbol, RenderState | undefined>)[STATE];
      const node = sources.get(`source.${source}.${table}`);
      if (node && st?.mock) return st.mock(node);
      // An unknown source was reported when the edges were resolved.
      return (node && deferredSql(node.id)) ?? node?.sql ?? quoteIdent(`${source}.${table}`);
    },
    config: () => '',
    var: varHelper(vars),
    env: envHelper(env),
  };
  const checked = [...userHelpers].map(([name, fn]) => [name, checkedHelper(name, fn)] as const);
  const env_: RenderEnv = { helpers: new Map<string, Helper>([...(Object.entries(renderer) as Array<[string, Helper]>), ...checked]), partials: partialAsts };

  const target = targetContext(def.target);
  const runStartedAt = opts.runStartedAt.toISOString();
  const render = (parsed: Parsed, node: ModelNode | TestNode, thisSql: string, mock?: RenderState['mock'], incremental = false): { sql: string; ephemerals: string[] } | undefined => {
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
      const sql = renderTemplate(parsed.ast, context, env_);
      return { sql, ephemerals: state.ephemerals };
    } catch (e) {
      const r = e instanceof RenderError ? e : undefined;
      const inMacro = r?.partial !== undefined ? partialFiles.get(r.partial) : undefined;
      const message = `${(e as Error).message.split('\n')[0]}${inMacro ? ` (rendering ${parsed.file.path})` : ''}`;
      diagnostics.push({ severity: 'error', file: inMacro ?? parsed.file.path, line: r?.line, message });
      return undefined;
    }
  };

  const rendered = new Map<NodeId, string>();
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
  for (const id of parsedModels.keys()) {
    const sql = renderModel(id);
    if (sql !== undefined) nodes[id] = { ...(nodes[id] as ModelNode), sql };
  }
  // Incremental models render a second time with is_incremental true: the plan picks one by the warehouse's state.
  for (const [id, parsed] of parsedModels) {
    const node = nodes[id] as ModelNode;
    if (node.materialized !== 'incremental' || !node.incremental) continue;
    const out = render(parsed, node, quoteRelation(node.relation), undefined, true);
    if (!out) continue;
    const ctes = out.ephemerals.map((name) => ({ name, sql: renderModel(`model.${name}`) ?? 'select 1' }));
    nodes[id] = { ...node, incremental: { ...node.incremental, sql: withCtes(out.sql, ctes) } };
  }
  // Hooks are templates too ({{this}} is the model's relation).
  for (const [id, parsed] of parsedModels) {
    const node = nodes[id] as ModelNode;
    const hook = (text: string): string => {
      const ast = parseTemplate(text, parsed.file.path, diagnostics);
      return (ast && render({ ...parsed, ast }, node, quoteRelation(node.relation))?.sql) ?? text;
    };
    if (node.preHooks.length + node.postHooks.length > 0) nodes[id] = { ...node, preHooks: node.preHooks.map(hook), postHooks: node.postHooks.map(hook) };
  }

  // Tests: generic ones from properties, singular ones from tests/.
  const relationSql = (node: Node): string => {
    const deferred = deferredSql(node.id);
    if (deferred !== undefined) return deferred;
    if (node.kind === 'source') return node.sql;
    if (node.kind === 'model' && node.materialized === 'ephemeral') return `(\n${rendered.get(node.id) ?? 'select 1'}\n)`;
    return quoteRelation((node as ModelNode | SeedNode).relation);
  };
  const testDefaults = def.testDefaults;
  const addTest = (test: TestNode) => {
    let id = test.id;
    for (let i = 2; nodes[id]; i++) id = `${test.id}_${i}`;
    nodes[id] = { ...test, id, name: id.slice('test.'.length) };
  };
  const genericTests = (owner: ModelNode | SeedNode | SourceNode, decls: readonly TestDecl[], label: string) => {
    for (const decl of decls) {
      const config = mergeConfig([...testDefaults, decl.config]);
      if (config.enabled === false) continue;
      const deps: NodeId[] = [owner.id];
      let to: string | undefined;
      const refArg = decl.args.to ?? decl.args.compare_model;
      if (typeof refArg === 'string') {
        const t = parseRefTarget(refArg);
        const toNode = t && ('ref' in t ? resolveRef(t.ref, decl.origin.file, decl.origin.line) : resolveSource(t.source, t.table, decl.origin.file, decl.origin.line));
        if (!toNode) continue;
        deps.push(toNode.id);
        to = relationSql(toNode);
      }
      const suffix =
        decl.testName === 'relationships'
          ? `__${String(decl.args.field)}__${String(decl.args.to).replace(/\W+/g, '_').replace(/_+$/, '')}`
          : decl.testName === 'equal_rowcount'
            ? `__${String(decl.args.compare_model).replace(/\W+/g, '_').replace(/_+$/, '')}`
            : '';
      const where = config.where as string | undefined;
      const model = where ? `(select * from ${relationSql(owner)} where ${where})` : relationSql(owner);
      addTest({
        id: `test.${decl.testName}_${label}${decl.column ? `_${decl.column}` : ''}${suffix}`,
        kind: 'test',
        name: '',
        origin: decl.origin,
        description: '',
        tags: [...new Set([...(config.tags as string[]), ...owner.tags])],
        meta: (config.meta as Record<string, unknown>) ?? {},
        dependsOn: [...new Set(deps)],
        testType: 'generic',
        testName: decl.testName,
        attachedTo: owner.id,
        column: decl.column,
        ...testOptions(config),
        sql: limited(GENERIC_TESTS[decl.testName]?.sql({ model, column: decl.column, args: decl.args, to }) ?? customTest(decl, model) ?? '', config),
      });
    }
  };
  // A project's own generic test: macros/test_<name>.sql, rendered with model, column_name and the arguments.
  const customTest = (decl: TestDecl, model: string): string | undefined => {
    const ast = partialAsts.get(`test_${decl.testName}`)!;
    const wanted = contextNames(ast, env_.helpers);
    const problems = [...wanted].filter((n) => n !== 'model' && n !== 'column_name' && !(n in decl.args)).map((n) => `test "${decl.testName}" needs the argument "${n}"`);
    if (wanted.has('column_name') && decl.column === undefined) problems.push(`test "${decl.testName}" reads column_name: declare it under a column`);
    for (const message of problems) diagnostics.push({ severity: 'error', file: decl.origin.file, line: decl.origin.line, message });
    if (problems.length > 0) return undefined;
    try {
      return renderTemplate(ast, { ...decl.args, model, column_name: decl.column }, env_);
    } catch (e) {
      diagnostics.push({ severity: 'error', file: decl.origin.file, line: decl.origin.line, message: `test "${decl.testName}": ${(e as Error).message}` });
      return undefined;
    }
  };
  for (const m of def.models) {
    const node = nodes[`model.${m.name}`];
    if (node?.kind === 'model' && m.props) genericTests(node, m.props.tests, m.name);
  }
  for (const s of def.seeds) {
    const node = nodes[`seed.${s.name}`];
    if (node?.kind === 'seed' && s.props) genericTests(node, s.props.tests, s.name);
  }
  for (const s of def.sources) {
    const node = sources.get(`source.${s.sourceName}.${s.name}`);
    if (node) genericTests(node, s.tests, `source_${s.sourceName}_${s.name}`);
  }
  for (const file of def.singularTests) {
    const parsed = parse(file);
    if (!parsed) continue;
    const config = mergeConfig([...testDefaults, inFileConfig(parsed, diagnostics, 'test')]);
    if (config.enabled === false) continue;
    const name = basename(file.path, '.sql');
    const skeleton: TestNode = {
      id: `test.${name}`,
      kind: 'test',
      name,
      origin: { file: file.path, line: 1 },
      description: '',
      tags: config.tags as string[],
      meta: (config.meta as Record<string, unknown>) ?? {},
      dependsOn: edgesOf(parsed),
      testType: 'singular',
      testName: name,
      ...testOptions(config),
      sql: '',
    };
    const out = render(parsed, skeleton, '');
    if (!out) continue;
    const ctes = out.ephemerals.map((n) => ({ name: n, sql: rendered.get(`model.${n}`) ?? 'select 1' }));
    addTest({ ...skeleton, sql: limited(withCtes(out.sql, ctes), config) });
  }

  // Unit tests: the model rendered against mock relations, one per input it reads.
  const mockOf = (n: Node) => relation(MOCK_SCHEMA, n.kind === 'source' ? `source__${n.sourceName}__${n.tableName}` : `ref__${n.name}`);
  for (const u of def.unitTests) {
    const model = nodes[`model.${u.model}`];
    const at = (message: string, line = u.origin.line) => diagnostics.push({ severity: 'error', file: u.origin.file, line, message: `unit test "${u.name}": ${message}` });
    if (model?.kind !== 'model') {
      at(`unknown model "${u.model}"${didYouMean(u.model, [...byName.values()].filter((n) => n.kind === 'model').map((n) => n.name))}`);
      continue;
    }
    const given = new Map<NodeId, (typeof u.given)[number]>();
    for (const g of u.given) {
      const target = 'ref' in g.input ? resolveRef(g.input.ref, g.origin.file, g.origin.line) : resolveSource(g.input.source, g.input.table, g.origin.file, g.origin.line);
      if (!target) continue;
      if (!model.dependsOn.includes(target.id)) at(`${u.model} does not read ${g.inputText}; it reads ${model.dependsOn.map((d) => nodes[d].name).join(', ') || 'nothing'}`, g.origin.line);
      else given.set(target.id, g);
    }
    const out = render(parsedModels.get(model.id)!, model, quoteRelation(model.relation), (n) => quoteRelation(mockOf(n)));
    if (!out) continue;
    const fixture = (r: RowsDef): RowsDef => (r.kind === 'fixture' ? { kind: 'fixture', path: isAbsolute(r.path) ? r.path : join(def.root, r.path) } : r);
    const id = `unit_test.${u.model}.${u.name}`;
    if (nodes[id]) at(`another unit test of ${u.model} has this name`);
    nodes[id] = {
      id,
      kind: 'unit_test',
      name: u.name,
      origin: u.origin,
      description: u.description,
      tags: u.tags,
      meta: {},
      dependsOn: [],
      model: model.id,
      sql: out.sql,
      inputs: model.dependsOn.map((d) => {
        const g = given.get(d);
        return { nodeId: d, relation: mockOf(nodes[d]), rows: g ? fixture(g.rows) : undefined, origin: g?.origin };
      }),
      expect: fixture(u.expect),
      key: u.key,
    };
  }
  checkAliases(def, nodes, diagnostics);
  checkViewsOverAttached(nodes, diagnostics);

  return {
    projectName: def.name,
    root: def.root,
    target: def.target,
    nodes,
    diagnostics,
    generatedAt: new Date().toISOString(),
    invocationId: opts.invocationId,
    ...(opts.deferred?.size ? { deferred: opts.deferred } : {}),
  };
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

function testOptions(config: Record<string, unknown>): Pick<TestNode, 'severity' | 'warnIf' | 'errorIf' | 'storeFailures'> {
  return {
    severity: (config.severity as Severity) ?? 'error',
    warnIf: (config.warn_if as string) ?? '!=0',
    errorIf: (config.error_if as string) ?? '!=0',
    storeFailures: config.store_failures === true,
  };
}

/** `limit: N` caps the failing rows a test returns (and so its failure count). */
function limited(sql: string, config: Record<string, unknown>): string {
  return typeof config.limit === 'number' ? `select * from (\n${sql}\n) as eider_limited limit ${config.limit}` : sql;
}

function inFileConfig(parsed: Parsed, diagnostics: Diagnostic[], kind: 'model' | 'test' = 'model'): ConfigLayer {
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

/** `contract: {enforced: true}` needs every column declared with a data_type. */
function contractOf(model: ModelDef, config: Record<string, unknown>, diagnostics: Diagnostic[]): ModelNode['contract'] {
  if ((config.contract as { enforced?: boolean } | undefined)?.enforced !== true) return undefined;
  const at = model.props?.origin ?? { file: model.file.path, line: 1 };
  const fail = (message: string) => diagnostics.push({ severity: 'error', file: at.file, line: at.line, message: `model "${model.name}": ${message}` });
  if (config.materialized === 'ephemeral') fail('an ephemeral model cannot enforce a contract');
  const columns = model.props?.columns ?? [];
  if (columns.length === 0) fail('an enforced contract needs its columns, with data_type, in a properties file');
  const untyped = columns.filter((c) => !c.dataType).map((c) => c.name);
  if (untyped.length > 0) fail(`an enforced contract needs a data_type on every column; missing on ${untyped.join(', ')}`);
  return columns.map((c) => ({ name: c.name, dataType: c.dataType ?? 'VARCHAR' }));
}

/** A model's node before its edges and SQL; a model without a schema of its own builds in the target's. */
function modelSkeleton(model: ModelDef, parsed: Parsed, config: Record<string, unknown>, runStartedAt: string, defaultSchema: string): ModelNode {
  const configLine = parsed.facts.config[0]?.line;
  return {
    id: `model.${model.name}`,
    kind: 'model',
    name: model.name,
    origin: { file: model.file.path, line: configLine ?? 1 },
    description: model.props?.description ?? '',
    tags: config.tags as string[],
    meta: (config.meta as Record<string, unknown>) ?? {},
    dependsOn: [],
    materialized: (config.materialized as Materialization) ?? 'view',
    relation: relation((config.schema as string) ?? defaultSchema, (config.alias as string) ?? model.name),
    columns: model.props?.columns ?? [],
    sql: '',
    preHooks: list(config.pre_hook),
    postHooks: list(config.post_hook),
    incremental:
      config.materialized === 'incremental'
        ? {
            sql: '',
            strategy: (config.incremental_strategy as NonNullable<ModelNode['incremental']>['strategy']) ?? (config.unique_key ? 'merge' : 'append'),
            uniqueKey: columns(config.unique_key),
            onSchemaChange: (config.on_schema_change as NonNullable<ModelNode['incremental']>['onSchemaChange']) ?? 'ignore',
            eventTime: config.event_time as string | undefined,
            batchSize: (config.batch_size as NonNullable<ModelNode['incremental']>['batchSize']) ?? 'day',
            lookback: (config.lookback as number | undefined) ?? 1,
            begin: config.begin as string | undefined,
            runStartedAt,
          }
        : undefined,
    snapshot:
      config.materialized === 'snapshot'
        ? {
            strategy: (config.strategy as 'timestamp' | 'check') ?? 'timestamp',
            uniqueKey: columns(config.unique_key),
            updatedAt: config.updated_at as string | undefined,
            checkCols: columns(config.check_cols),
            invalidateHardDeletes: config.invalidate_hard_deletes === true,
            runStartedAt,
          }
        : undefined,
  };
}

/**
 * An external model's files: `location` (default `<model>.<format>`) under the target's output folder (the
 * profile's `output`, or `<paths.output>/<target>`), never outside it.
 */
function externalOf(def: ProjectDef, model: ModelDef, config: Record<string, unknown>, diagnostics: Diagnostic[]): ModelNode['external'] {
  if (config.materialized !== 'external') return undefined;
  const format = (config.format as 'parquet' | 'csv' | 'json') ?? 'parquet';
  const folder = def.target.output ?? join(def.paths.output, def.target.name);
  const outputDir = resolve(def.root, folder);
  const path = resolve(outputDir, (config.location as string) ?? `${model.name}.${format}`);
  if (path === outputDir || !path.startsWith(`${outputDir}${sep}`)) {
    diagnostics.push({ severity: 'error', file: model.file.path, line: 1, message: `model "${model.name}": external location ${String(config.location)} is outside the target's output folder ${folder.split(sep).join('/')}/` });
  }
  return { path, format, partitionBy: columns(config.partition_by) };
}

function list(v: unknown): string[] {
  return v === undefined ? [] : typeof v === 'string' ? [v] : (v as string[]);
}

/** A list of columns: a YAML list, or a string of comma-separated names as a template's config gives it. */
function columns(v: unknown): string[] {
  return list(v).flatMap((c) => c.split(',')).map((c) => c.trim()).filter((c) => c !== '');
}

/** Strategy rules that need the merged config: merge and delete+insert match rows by a unique key. */
function checkIncremental(model: ModelNode, diagnostics: Diagnostic[]): void {
  const snap = model.snapshot;
  const fail = (message: string) => diagnostics.push({ severity: 'error', file: model.origin.file, line: model.origin.line, message: `snapshot "${model.name}": ${message}` });
  if (snap && snap.uniqueKey.length === 0) fail('needs a unique_key');
  if (snap?.strategy === 'timestamp' && !snap.updatedAt) fail('the timestamp strategy needs updated_at (the column that changes when a row does)');
  if (snap?.strategy === 'check' && snap.checkCols.length === 0) fail('the check strategy needs check_cols: the list of columns whose change makes a new version');
  const inc = model.incremental;
  if (!inc) return;
  if (inc.strategy === 'microbatch' && !inc.eventTime) {
    diagnostics.push({ severity: 'error', file: model.origin.file, line: model.origin.line, message: `model "${model.name}": incremental_strategy microbatch needs event_time (the column that places a row in a batch)` });
  }
  if ((inc.strategy === 'merge' || inc.strategy === 'delete+insert') && inc.uniqueKey.length === 0) {
    diagnostics.push({ severity: 'error', file: model.origin.file, line: model.origin.line, message: `model "${model.name}": incremental_strategy ${inc.strategy} needs a unique_key (one column or a list)` });
  }
}

/**
 * An attached database's alias may not be a schema of the project: `"legacy"."orders"` would then name either
 * the schema's table in the target or the attached database's `main.orders`.
 */
function checkAliases(def: ProjectDef, nodes: Readonly<Record<NodeId, Node>>, diagnostics: Diagnostic[]): void {
  const t = def.target;
  if (!t.attach?.length) return;
  const schemas = new Set([t.schema.toLowerCase(), HISTORY_SCHEMA, AUDIT_SCHEMA]);
  for (const n of Object.values(nodes)) {
    const r = n.kind === 'model' || n.kind === 'seed' || n.kind === 'source' ? n.relation : undefined;
    if (r && r.catalog === undefined) schemas.add(r.schema.toLowerCase());
  }
  for (const a of t.attach) {
    if (!schemas.has(a.alias.toLowerCase())) continue;
    diagnostics.push({
      severity: 'error',
      file: t.lines?.file ?? 'profiles/profiles.yml',
      line: t.lines?.attach?.[a.alias],
      message: `target "${t.name}": attach alias "${a.alias}" is also a schema of this project, so "${a.alias}".<name> would be ambiguous: choose another alias`,
    });
  }
}

/**
 * A view that reads an attached database (itself, or through views and ephemeral models) would fail for every
 * reader of the target, who does not attach it: such a model must be materialized.
 */
function checkViewsOverAttached(nodes: Readonly<Record<NodeId, Node>>, diagnostics: Diagnostic[]): void {
  const memo = new Map<NodeId, string | undefined>();
  const attached = (id: NodeId): string | undefined => {
    if (memo.has(id)) return memo.get(id);
    memo.set(id, undefined);
    const n = nodes[id];
    let found: string | undefined;
    if (n?.kind === 'source') found = n.relation?.catalog;
    else if (n?.kind === 'model' && (n.materialized === 'view' || n.materialized === 'ephemeral')) {
      for (const d of n.dependsOn) if ((found = attached(d)) !== undefined) break;
    }
    memo.set(id, found);
    return found;
  };
  for (const n of Object.values(nodes)) {
    if (n.kind !== 'model' || n.materialized !== 'view') continue;
    const alias = attached(n.id);
    if (alias === undefined) continue;
    diagnostics.push({
      severity: 'error',
      file: n.origin.file,
      line: n.origin.line,
      message: `model "${n.name}" is a view over the attached database "${alias}": readers of the target do not attach it, so the view would fail for them; materialize it as a table (or incremental)`,
    });
  }
}

function sourceNode(def: ProjectDef, s: SourceTableDef, byName: ReadonlyMap<string, ModelNode | SeedNode>): SourceNode {
  const base = {
    id: `source.${s.sourceName}.${s.name}`,
    kind: 'source' as const,
    name: `${s.sourceName}.${s.name}`,
    origin: s.origin,
    description: s.description,
    tags: [],
    meta: s.meta,
    sourceName: s.sourceName,
    tableName: s.name,
    columns: s.columns,
    freshness: s.freshness,
  };
  if (s.path && s.format) {
    const abs = isAbsolute(s.path) ? s.path : join(def.root, s.path);
    if (holdsSecret(s.path)) registerSecret(abs); // joining may change the text: the whole path is secret
    const fn = { csv: 'read_csv', parquet: 'read_parquet', json: 'read_json_auto' }[s.format];
    const hive = s.hivePartitioning === undefined ? '' : `, hive_partitioning = ${s.hivePartitioning}`;
    return { ...base, dependsOn: [], files: { path: abs, format: s.format, hivePartitioning: s.hivePartitioning }, sql: `${fn}(${quoteLiteral(abs)}${hive})` };
  }
  const rel = relation(s.schema, s.identifier, s.database);
  // A source over a table that a seed of this project loads is built after that seed.
  const seed = rel.catalog === undefined ? [...byName.values()].find((n) => n.kind === 'seed' && n.relation.schema === rel.schema && n.relation.name === rel.name) : undefined;
  return { ...base, dependsOn: seed ? [seed.id] : [], relation: rel, sql: quoteRelation(rel) };
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

