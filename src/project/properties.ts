import { checkInterval, GENERIC_TESTS, parseRefTarget } from '../compile/generic-tests.js';
import { didYouMean, type Diagnostic } from '../errors.js';
import type { ColumnDef, FreshnessRule, Origin, Period } from '../types.js';
import { checkConfig, type ConfigKind, type ConfigLayer } from './config.js';
import type { SourceFile } from './load.js';
import { YamlFile, type YNode } from './yaml.js';
import { renderYamlTemplates, SQL_TEMPLATE_KEYS, type YamlTemplateContext } from './yaml-templates.js';

/** A generic test as declared in YAML, arguments checked, not yet resolved to nodes. */
export interface TestDecl {
  readonly testName: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly config: ConfigLayer;
  readonly column?: string;
  readonly origin: Origin;
}

/** Docs, columns, tests and config of one model or seed, from a properties file. */
export interface ResourceProps {
  readonly name: string;
  readonly description: string;
  /** A model's freshness SLA, checked against its last successful build. */
  readonly freshness?: FreshnessRule;
  readonly config?: ConfigLayer;
  readonly columns: readonly ColumnDef[];
  readonly tests: readonly TestDecl[];
  readonly meta: Readonly<Record<string, unknown>>;
  readonly origin: Origin;
}

export interface SourceTableDef {
  readonly sourceName: string;
  readonly name: string;
  readonly schema: string;
  readonly identifier: string;
  readonly description: string;
  /** An attached database (profile `attach:` alias) the table is read from; none means the target. */
  readonly database?: string;
  readonly databaseOrigin?: Origin;
  readonly path?: string;
  readonly format?: 'csv' | 'parquet' | 'json';
  /** Files under `key=value/` folders: the keys become columns. */
  readonly hivePartitioning?: boolean;
  readonly freshness?: FreshnessRule;
  readonly columns: readonly ColumnDef[];
  readonly tests: readonly TestDecl[];
  readonly meta: Readonly<Record<string, unknown>>;
  readonly origin: Origin;
}

export interface Properties {
  readonly models: ResourceProps[];
  readonly seeds: ResourceProps[];
  readonly sources: SourceTableDef[];
}

const TOP_KEYS = ['version', 'models', 'seeds', 'sources'];
const RESOURCE_KEYS = ['name', 'description', 'config', 'columns', 'tests', 'data_tests', 'meta', 'docs', 'freshness'];
const COLUMN_KEYS = ['name', 'description', 'data_type', 'tests', 'data_tests', 'meta', 'quote'];
const SOURCE_KEYS = ['name', 'description', 'database', 'schema', 'tables', 'meta', 'freshness', 'loaded_at_field'];
const TABLE_KEYS = ['name', 'identifier', 'description', 'database', 'path', 'format', 'hive_partitioning', 'columns', 'tests', 'data_tests', 'meta', 'freshness', 'loaded_at_field'];
const TEST_OPTION_KEYS = ['severity', 'config', 'tags', 'enabled', 'meta', 'warn_if', 'error_if', 'where', 'limit', 'store_failures'];
const FORMATS = ['csv', 'parquet', 'json'] as const;

/**
 * `custom` names the project's own generic tests (macros named `test_<name>.sql`): their arguments are
 * whatever the macro reads, checked when the test is compiled. With `templates`, string values are rendered
 * first (`{{var}}`, `{{env}}`, `{{target.…}}`); hooks stay templates of their model.
 */
export function parseProperties(files: readonly SourceFile[], diagnostics: Diagnostic[], custom: ReadonlySet<string> = new Set(), templates?: YamlTemplateContext): Properties {
  const out: Properties = { models: [], seeds: [], sources: [] };
  for (const f of files) {
    const y = new YamlFile(f.path, f.text, diagnostics);
    if (!y.root) continue;
    if (templates) renderYamlTemplates(y, y.root, templates, SQL_TEMPLATE_KEYS);
    const top = y.entries(y.root, f.path, TOP_KEYS);
    for (const m of y.items(top.get('models'), 'models')) {
      const r = resource(y, m, 'model', custom);
      if (r) out.models.push(r);
    }
    for (const s of y.items(top.get('seeds'), 'seeds')) {
      const r = resource(y, s, 'seed', custom);
      if (r) out.seeds.push(r);
    }
    for (const s of y.items(top.get('sources'), 'sources')) out.sources.push(...source(y, s, custom));
  }
  return out;
}

function resource(y: YamlFile, node: YNode, kind: ConfigKind, custom: ReadonlySet<string>): ResourceProps | undefined {
  const e = y.entries(node, `${kind} properties`, RESOURCE_KEYS);
  const name = y.string(e.get('name'), 'name');
  if (!name) {
    if (!e.has('name')) y.error(node, `a ${kind} entry needs a name`);
    return undefined;
  }
  const columns = y.items(e.get('columns'), 'columns');
  return {
    name,
    description: y.string(e.get('description'), 'description') ?? '',
    config: e.has('config') ? configLayer(y, e.get('config'), kind) : undefined,
    columns: columns.map((c) => column(y, c)).filter((c): c is ColumnDef => c !== undefined),
    tests: [...declaredTests(y, e, custom), ...columns.flatMap((c) => columnTests(y, c, custom))],
    meta: (y.value(e.get('meta')) as Record<string, unknown>) ?? {},
    freshness: e.has('freshness') ? freshnessRule(y, e.get('freshness'), undefined) : undefined,
    origin: { file: y.file, line: y.lineOf(node) },
  };
}

function source(y: YamlFile, node: YNode, custom: ReadonlySet<string>): SourceTableDef[] {
  const e = y.entries(node, 'source', SOURCE_KEYS);
  const sourceName = y.string(e.get('name'), 'name');
  if (!sourceName) {
    y.error(node, 'a source needs a name');
    return [];
  }
  const schema = y.string(e.get('schema'), 'schema') ?? sourceName;
  const sourceDatabase = e.get('database');
  const sourceFreshness = freshnessRule(y, e.get('freshness'), e.get('loaded_at_field'));
  const tables: SourceTableDef[] = [];
  for (const t of y.items(e.get('tables'), 'tables')) {
    const te = y.entries(t, `table of source "${sourceName}"`, TABLE_KEYS);
    const name = y.string(te.get('name'), 'name');
    if (!name) {
      y.error(t, `a table of source "${sourceName}" needs a name`);
      continue;
    }
    const format = y.string(te.get('format'), 'format');
    if (format !== undefined && !(FORMATS as readonly string[]).includes(format)) {
      y.error(te.get('format'), `format must be one of ${FORMATS.join(', ')}${didYouMean(format, FORMATS)}`);
    }
    const path = y.string(te.get('path'), 'path');
    const inferred = path ? FORMATS.find((x) => path.toLowerCase().includes(`.${x}`)) : undefined;
    if (path && !format && !inferred) y.error(te.get('path'), `cannot tell the format of ${path}: add format: csv|parquet|json`);
    const hivePartitioning = y.boolean(te.get('hive_partitioning'), 'hive_partitioning');
    if (hivePartitioning !== undefined && !path) y.error(te.get('hive_partitioning'), 'hive_partitioning applies to a source read from files (path:)');
    const databaseNode = te.get('database') ?? sourceDatabase;
    const database = y.string(databaseNode, 'database');
    if (database !== undefined && path) y.error(databaseNode, `table "${name}" of source "${sourceName}" is read from files (path:), not from a database: drop database:`);
    const columns = y.items(te.get('columns'), 'columns');
    tables.push({
      sourceName,
      name,
      schema,
      database,
      databaseOrigin: database === undefined ? undefined : { file: y.file, line: y.lineOf(databaseNode) },
      hivePartitioning,
      identifier: y.string(te.get('identifier'), 'identifier') ?? name,
      description: y.string(te.get('description'), 'description') ?? '',
      path,
      format: path ? ((format ?? inferred) as SourceTableDef['format']) : undefined,
      freshness: te.has('freshness') && te.get('freshness')!.value === null ? undefined : mergeFreshness(sourceFreshness, freshnessRule(y, te.get('freshness'), te.get('loaded_at_field'))),
      columns: columns.map((c) => column(y, c)).filter((c): c is ColumnDef => c !== undefined),
      tests: [...declaredTests(y, te, custom), ...columns.flatMap((c) => columnTests(y, c, custom))],
      meta: (y.value(te.get('meta')) as Record<string, unknown>) ?? {},
      origin: { file: y.file, line: y.lineOf(t) },
    });
  }
  return tables;
}

/** `freshness: {warn_after: {count: 2, period: hour}, error_after: …}` with `loaded_at_field` beside it. */
function freshnessRule(y: YamlFile, node: YNode | undefined, field: YNode | undefined): FreshnessRule | undefined {
  const e = y.entries(node, 'freshness', ['warn_after', 'error_after']);
  const period = (k: string): Period | undefined => {
    const v = e.get(k);
    if (v === undefined || v.value === null) return undefined;
    const problem = typeof v.value === 'object' ? checkInterval(v.value) : 'must be {count: N, period: minute|hour|day|week|month|year}';
    if (problem) {
      y.error(v, `freshness ${k} ${problem}`);
      return undefined;
    }
    return v.value as Period;
  };
  const loadedAtField = y.string(field, 'loaded_at_field');
  const rule = { warnAfter: period('warn_after'), errorAfter: period('error_after'), loadedAtField };
  return rule.warnAfter || rule.errorAfter || rule.loadedAtField ? rule : undefined;
}

function mergeFreshness(outer: FreshnessRule | undefined, inner: FreshnessRule | undefined): FreshnessRule | undefined {
  if (!outer || !inner) return inner ?? outer;
  return { warnAfter: inner.warnAfter ?? outer.warnAfter, errorAfter: inner.errorAfter ?? outer.errorAfter, loadedAtField: inner.loadedAtField ?? outer.loadedAtField };
}

function column(y: YamlFile, node: YNode): ColumnDef | undefined {
  const e = y.entries(node, 'column', COLUMN_KEYS);
  const name = y.string(e.get('name'), 'column name');
  if (!name) {
    if (!e.has('name')) y.error(node, 'a column needs a name');
    return undefined;
  }
  return {
    name,
    description: y.string(e.get('description'), 'description') ?? '',
    dataType: y.string(e.get('data_type'), 'data_type'),
    meta: (y.value(e.get('meta')) as Record<string, unknown>) ?? {},
  };
}

function columnTests(y: YamlFile, node: YNode, custom: ReadonlySet<string>): TestDecl[] {
  const v = node.value as Record<string, unknown> | null;
  if (v === null || typeof v !== 'object' || Array.isArray(v) || typeof v.name !== 'string') return [];
  const e = new Map(y.pairs(node, 'column').map((p) => [p.key, { value: p.value.value, line: p.keyNode.line }]));
  return declaredTests(y, e, custom, v.name);
}

/** `tests:` and dbt's newer spelling `data_tests:`; both in one place are merged. */
function declaredTests(y: YamlFile, e: ReadonlyMap<string, YNode>, custom: ReadonlySet<string>, column?: string): TestDecl[] {
  return [...testList(y, e.get('tests'), custom, column), ...testList(y, e.get('data_tests'), custom, column)];
}

/**
 * `- not_null`  or  `- accepted_values: {values: [...], severity: warn}`  or dbt 1.10's
 * `- accepted_values: {arguments: {values: [...]}, config: {severity: warn}}`.
 */
function testList(y: YamlFile, node: YNode | null | undefined, custom: ReadonlySet<string>, column?: string): TestDecl[] {
  const out: TestDecl[] = [];
  for (const item of y.items(node, 'tests')) {
    const origin = { file: y.file, line: item.line };
    let testName: string;
    let body: YNode | null = null;
    const pairs = item.value !== null && typeof item.value === 'object' && !Array.isArray(item.value) ? y.pairs(item, 'test') : undefined;
    if (typeof item.value === 'string') testName = item.value;
    else if (pairs?.length === 1) {
      testName = pairs[0].key;
      body = pairs[0].value;
    } else {
      y.error(item, 'a test is a name, or a mapping of one test name to its arguments');
      continue;
    }
    if (custom.has(testName) && !GENERIC_TESTS[testName]) {
      const args: Record<string, unknown> = {};
      const config: Record<string, unknown> = {};
      for (const p of y.pairs(body, `test "${testName}"`)) {
        if (p.key === 'arguments') for (const a of y.pairs(p.value, `arguments of test "${testName}"`)) args[a.key] = a.value.value;
        else if (p.key === 'config') Object.assign(config, configLayer(y, p.value, 'test').values);
        else if ((TEST_OPTION_KEYS as readonly string[]).includes(p.key)) {
          const problem = checkConfig('test', p.key, p.value.value);
          if (problem) y.error(p.keyNode, problem);
          config[p.key] = p.value.value;
        } else args[p.key] = p.value.value;
      }
      out.push({ testName, args, config: { values: config, origin }, column, origin });
      continue;
    }
    const def = GENERIC_TESTS[testName];
    if (!def) {
      y.error(item, `unknown test "${testName}"${didYouMean(testName, [...Object.keys(GENERIC_TESTS), ...custom])}`);
      continue;
    }
    if (def.needsColumn === true && column === undefined) {
      y.error(item, `test "${testName}" must be declared under a column`);
      continue;
    }
    if (def.needsColumn === false && column !== undefined) {
      y.error(item, `test "${testName}" applies to a whole model: declare it under the model's tests, not under column "${column}"`);
      continue;
    }
    const args: Record<string, unknown> = {};
    const config: Record<string, unknown> = {};
    const argument = (k: string, v: YNode) => {
      const problem = def.args[k].check(y.value(v));
      if (problem) y.error(v, `argument "${k}" of test "${testName}" ${problem}`);
      args[k] = y.value(v);
    };
    const allowed = [...Object.keys(def.args), ...TEST_OPTION_KEYS, 'arguments'];
    for (const [k, v] of y.entries(body, `test "${testName}"`, allowed)) {
      if (k === 'arguments') {
        for (const [ak, av] of y.entries(v, `arguments of test "${testName}"`, Object.keys(def.args))) argument(ak, av);
      } else if (k === 'config') {
        Object.assign(config, configLayer(y, v, 'test').values);
      } else if (k in def.args) {
        argument(k, v);
      } else {
        const problem = checkConfig('test', k, y.value(v));
        if (problem) y.error(v, problem);
        config[k] = y.value(v);
      }
    }
    for (const [k, spec] of Object.entries(def.args)) {
      if (spec.required && !(k in args)) y.error(item, `test "${testName}" needs the argument "${k}"`);
    }
    for (const k of ['to', 'compare_model']) {
      if (typeof args[k] === 'string' && !parseRefTarget(args[k] as string)) {
        y.error(item, `test "${testName}": "${k}" must be ref('model'), source('source', 'table') or a model name`);
      }
    }
    out.push({ testName, args, config: { values: config, origin }, column, origin });
  }
  return out;
}

export function configLayer(y: YamlFile, node: YNode | null | undefined, kind: ConfigKind): ConfigLayer {
  const values: Record<string, unknown> = {};
  const lines: Record<string, number | undefined> = {};
  for (const p of y.pairs(node, 'config')) {
    const value = y.value(p.value);
    const problem = checkConfig(kind, p.key, value);
    if (problem) y.error(p.keyNode, problem);
    else (values[p.key] = value), (lines[p.key] = y.lineOf(p.keyNode));
  }
  return { values, origin: { file: y.file, line: y.lineOf(node) }, lines };
}
