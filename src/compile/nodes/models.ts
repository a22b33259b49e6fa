import { readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { Diagnostic } from '../../errors.js';
import { configOrigin, mergeConfig } from '../../project/config.js';
import { retentionOf } from '../../operate/retention.js';
import type { ModelDef, ProjectDef } from '../../project/parse.js';
import { quoteRelation, relation, type Fingerprint, type Materialization, type ModelNode, type NodeId, type Origin } from '../../types.js';
import { inFileConfig, type Compilation } from '../compilation.js';
import { withCtes } from '../rendering.js';
import { columnList, resolvedConfig, resourceProperties, sha256, varChecksums } from '../fingerprint.js';
import { readJsModel, type JsModelFacts } from '../js-models.js';
import { parseTemplate } from '../templates.js';
import { checkOperating } from './operating.js';
import { checkSnapshot, snapshotOf } from './snapshots.js';

/** Models and snapshots, before their edges and SQL: their relations are what refs render to. Returns the JS models' facts. */
export async function declareModels(c: Compilation): Promise<Map<NodeId, JsModelFacts>> {
  const jsFacts = new Map<NodeId, JsModelFacts>();
  for (const model of c.def.models) {
    if (model.language === 'js') {
      const facts = await readJsModel(c.def.root, model, c.diagnostics);
      if (!facts) continue;
      const config = mergeConfig([...model.layers, facts.config]);
      if (config.enabled === false) {
        c.disabled.add(model.name);
        continue;
      }
      const path = join(c.def.root, model.file.path);
      const rawCode = readFileSync(path, 'utf8');
      const table = { ...config, materialized: 'table' };
      // Its code may read any var: all of them count for state:modified.vars.
      const vars = varChecksums(new Set(Object.keys(c.def.vars)), c.def.vars, new Map());
      const fingerprint = { config: resolvedConfig('model', table, model.name), rawCode, checksum: sha256(rawCode), macros: [], vars, properties: resourceProperties(model.props) };
      const node: ModelNode = { ...modelSkeleton(c, model, table, undefined, fingerprint), js: { path, vars: c.def.vars } };
      checkOperating(node, (key) => configOrigin(model.layers, key) ?? model.props?.origin ?? node.origin, c.diagnostics);
      declare(c, node);
      jsFacts.set(node.id, facts);
      continue;
    }
    const parsed = c.parse(model.file);
    if (!parsed) continue;
    const config = mergeConfig([...model.layers, inFileConfig(parsed, c.diagnostics)]);
    if (config.enabled === false) {
      c.disabled.add(model.name);
      continue;
    }
    const rawCode = model.file.text;
    const fingerprint = { config: resolvedConfig('model', config, model.name), rawCode, checksum: sha256(rawCode), ...c.uses(parsed.facts), properties: resourceProperties(model.props) };
    const node = {
      ...modelSkeleton(c, model, config, parsed.facts.config[0]?.line, fingerprint),
      contract: contractOf(model, config, c.diagnostics),
      freshness: model.props?.freshness,
      external: externalOf(c.def, model, config, c.diagnostics),
    };
    checkSnapshot(node, c.diagnostics);
    checkIncremental(node, c.diagnostics);
    const inFile = (key: string) => parsed.facts.config.find((f) => f.key === key);
    checkOperating(node, (key) => (inFile(key) ? { file: model.file.path, line: inFile(key)!.line } : (configOrigin(model.layers, key) ?? model.props?.origin ?? node.origin)), c.diagnostics);
    declare(c, node);
    c.parsedModels.set(node.id, parsed);
  }
  return jsFacts;
}

function declare(c: Compilation, node: ModelNode): void {
  c.nodes[node.id] = node;
  c.byName.set(node.name, node);
}

/** Each model's edges: the refs and sources its template (or JS module) names. */
export function resolveModelEdges(c: Compilation, jsFacts: ReadonlyMap<NodeId, JsModelFacts>): void {
  for (const [id, parsed] of c.parsedModels) c.nodes[id] = { ...(c.nodes[id] as ModelNode), dependsOn: c.edgesOf(parsed) };
  for (const [id, f] of jsFacts) {
    const file = (c.nodes[id] as ModelNode).origin.file;
    const ids = [...f.refs.map((r) => c.resolveRef(r, file)?.id), ...f.sources.map(([s, t]) => c.resolveSource(s, t, file)?.id)];
    c.nodes[id] = { ...(c.nodes[id] as ModelNode), dependsOn: [...new Set(ids.filter((x): x is NodeId => x !== undefined))] };
  }
}

/** Models' SQL; incremental models a second time with is_incremental true; hooks, which are templates too. */
export function renderModels(c: Compilation): void {
  for (const id of c.parsedModels.keys()) {
    const sql = c.renderModel(id);
    if (sql !== undefined) c.nodes[id] = { ...(c.nodes[id] as ModelNode), sql };
  }
  // The plan picks one of an incremental model's two SQLs by the warehouse's state.
  for (const [id, parsed] of c.parsedModels) {
    const node = c.nodes[id] as ModelNode;
    if (node.materialized !== 'incremental' || !node.incremental) continue;
    const out = c.render(parsed, node, quoteRelation(node.relation), undefined, true);
    if (!out) continue;
    const ctes = out.ephemerals.map((name) => ({ name, sql: c.renderModel(`model.${name}`) ?? 'select 1' }));
    c.nodes[id] = { ...node, incremental: { ...node.incremental, sql: withCtes(out.sql, ctes) } };
  }
  // {{this}} in a hook is the model's relation.
  const defs = new Map(c.def.models.map((m) => [m.name, m]));
  for (const [id, parsed] of c.parsedModels) {
    const node = c.nodes[id] as ModelNode;
    if (node.preHooks.length + node.postHooks.length === 0) continue;
    // A hook's mistakes are at the config that declares it (its own text's lines are not the file's).
    const declared = (key: 'pre_hook' | 'post_hook'): Origin => {
      const inFile = parsed.facts.config.find((f) => f.key === key);
      if (inFile) return { file: parsed.file.path, line: inFile.line };
      const model = defs.get(node.name);
      return (model && configOrigin(model.layers, key)) ?? node.origin;
    };
    const hook = (key: 'pre_hook' | 'post_hook') => (text: string): string => {
      const at = declared(key);
      const before = c.diagnostics.length;
      const ast = parseTemplate(text, parsed.file.path, c.diagnostics);
      const sql = (ast && c.render({ ...parsed, ast }, node, quoteRelation(node.relation), undefined, false, true)?.sql) ?? text;
      for (let i = before; i < c.diagnostics.length; i++) if (c.diagnostics[i].file === parsed.file.path) c.diagnostics[i] = { ...c.diagnostics[i], file: at.file, line: at.line, message: `${key}: ${c.diagnostics[i].message}` };
      return sql;
    };
    c.nodes[id] = { ...node, preHooks: node.preHooks.map(hook('pre_hook')), postHooks: node.postHooks.map(hook('post_hook')) };
  }
}

/** A model's node before its edges and SQL; a model without a schema of its own builds in the target's. */
function modelSkeleton(c: Compilation, model: ModelDef, config: Record<string, unknown>, configLine: number | undefined, fingerprint: Fingerprint): ModelNode {
  return {
    id: `model.${model.name}`,
    kind: 'model',
    name: model.name,
    origin: { file: model.file.path, line: configLine ?? 1 },
    description: model.props?.description ?? '',
    tags: config.tags as string[],
    meta: { ...model.props?.meta, ...(config.meta as Record<string, unknown> | undefined) },
    dependsOn: [],
    materialized: (config.materialized as Materialization) ?? 'view',
    relation: relation((config.schema as string) ?? c.def.target.schema, (config.alias as string) ?? model.name),
    columns: model.props?.columns ?? [],
    sql: '',
    preHooks: list(config.pre_hook),
    postHooks: list(config.post_hook),
    incremental: incrementalOf(config, c.runStartedAt),
    snapshot: snapshotOf(config, c.runStartedAt),
    retention: retentionOf(config, c.runStartedAt),
    fingerprint,
  };
}

function incrementalOf(config: Record<string, unknown>, runStartedAt: string): ModelNode['incremental'] {
  if (config.materialized !== 'incremental') return undefined;
  type Incremental = NonNullable<ModelNode['incremental']>;
  return {
    sql: '',
    strategy: (config.incremental_strategy as Incremental['strategy']) ?? (config.unique_key ? 'merge' : 'append'),
    uniqueKey: columnList(config.unique_key),
    onSchemaChange: (config.on_schema_change as Incremental['onSchemaChange']) ?? 'ignore',
    eventTime: config.event_time as string | undefined,
    batchSize: (config.batch_size as Incremental['batchSize']) ?? 'day',
    lookback: (config.lookback as number | undefined) ?? 1,
    begin: config.begin as string | undefined,
    runStartedAt,
  };
}

/** `contract: {enforced: true}` needs every column declared with a data_type. */
function contractOf(model: ModelDef, config: Record<string, unknown>, diagnostics: Diagnostic[]): ModelNode['contract'] {
  if ((config.contract as { enforced?: boolean } | undefined)?.enforced !== true) return undefined;
  const at = model.props?.origin ?? { file: model.file.path, line: 1 };
  const fail = (message: string) => diagnostics.push({ severity: 'error', file: at.file, line: at.line, message: `model "${model.name}": ${message}` });
  if (config.materialized === 'ephemeral') fail('an ephemeral model cannot enforce a contract');
  const columns = model.props?.columns ?? [];
  if (columns.length === 0) fail('an enforced contract needs its columns, with data_type, in a properties file');
  const untyped = columns.filter((col) => !col.dataType).map((col) => col.name);
  if (untyped.length > 0) fail(`an enforced contract needs a data_type on every column; missing on ${untyped.join(', ')}`);
  return columns.map((col) => ({ name: col.name, dataType: col.dataType ?? 'VARCHAR' }));
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
  return { path, format, partitionBy: columnList(config.partition_by) };
}

function list(v: unknown): string[] {
  return v === undefined ? [] : typeof v === 'string' ? [v] : (v as string[]);
}

/** Strategy rules that need the merged config: merge and delete+insert match rows by a unique key. */
function checkIncremental(model: ModelNode, diagnostics: Diagnostic[]): void {
  const inc = model.incremental;
  if (!inc) return;
  if (inc.strategy === 'microbatch' && !inc.eventTime) {
    diagnostics.push({ severity: 'error', file: model.origin.file, line: model.origin.line, message: `model "${model.name}": incremental_strategy microbatch needs event_time (the column that places a row in a batch)` });
  }
  if ((inc.strategy === 'merge' || inc.strategy === 'delete+insert') && inc.uniqueKey.length === 0) {
    diagnostics.push({ severity: 'error', file: model.origin.file, line: model.origin.line, message: `model "${model.name}": incremental_strategy ${inc.strategy} needs a unique_key (one column or a list)` });
  }
}
