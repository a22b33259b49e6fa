import { basename } from 'node:path';
import { mergeConfig } from '../../project/config.js';
import type { TestDecl } from '../../project/properties.js';
import { quoteRelation, type ModelNode, type Node, type NodeId, type SeedNode, type Severity, type SourceNode, type TestNode } from '../../types.js';
import { inFileConfig, type Compilation } from '../compilation.js';
import { withCtes } from '../rendering.js';
import { resolvedConfig, resourceProperties, sha256, valueChecksum } from '../fingerprint.js';
import { GENERIC_TESTS, parseRefTarget } from '../generic-tests.js';
import { renderTemplate } from '../render.js';
import { contextNames, extractFacts } from '../templates.js';

/** Generic tests, declared in properties files on models, seeds and sources. */
export function compileGenericTests(c: Compilation): void {
  for (const m of c.def.models) {
    const node = c.nodes[`model.${m.name}`];
    if (node?.kind === 'model' && m.props) genericTests(c, node, m.props.tests, m.name);
  }
  for (const s of c.def.seeds) {
    const node = c.nodes[`seed.${s.name}`];
    if (node?.kind === 'seed' && s.props) genericTests(c, node, s.props.tests, s.name);
  }
  for (const s of c.def.sources) {
    const node = c.sources.get(`source.${s.sourceName}.${s.name}`);
    if (node) genericTests(c, node, s.tests, `source_${s.sourceName}_${s.name}`);
  }
}

function genericTests(c: Compilation, owner: ModelNode | SeedNode | SourceNode, decls: readonly TestDecl[], label: string): void {
  for (const decl of decls) {
    const config = mergeConfig([...c.def.testDefaults, decl.config]);
    if (config.enabled === false) continue;
    const deps: NodeId[] = [owner.id];
    let to: string | undefined;
    const refArg = decl.args.to ?? decl.args.compare_model;
    if (typeof refArg === 'string') {
      const t = parseRefTarget(refArg);
      const toNode = t && ('ref' in t ? c.resolveRef(t.ref, decl.origin.file, decl.origin.line) : c.resolveSource(t.source, t.table, decl.origin.file, decl.origin.line));
      if (!toNode) continue;
      deps.push(toNode.id);
      to = relationSql(c, toNode);
    }
    const suffix =
      decl.testName === 'relationships'
        ? `__${String(decl.args.field)}__${String(decl.args.to).replace(/\W+/g, '_').replace(/_+$/, '')}`
        : decl.testName === 'equal_rowcount'
          ? `__${String(decl.args.compare_model).replace(/\W+/g, '_').replace(/_+$/, '')}`
          : '';
    const where = config.where as string | undefined;
    const model = where ? `(select * from ${relationSql(c, owner)} where ${where})` : relationSql(c, owner);
    const custom = GENERIC_TESTS[decl.testName] ? undefined : `test_${decl.testName}`;
    addTest(c, {
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
      sql: limited(GENERIC_TESTS[decl.testName]?.sql({ model, column: decl.column, args: decl.args, to }) ?? customTest(c, decl, model) ?? '', config),
      fingerprint: {
        config: resolvedConfig('test', config, decl.testName),
        rawCode: '',
        checksum: valueChecksum({ test: decl.testName, column: decl.column, args: decl.args }),
        ...(custom ? customUses(c, custom) : { macros: [], vars: {} }),
        properties: { origin: decl.origin, checksum: valueChecksum({ test: decl.testName, column: decl.column, args: decl.args }) },
      },
    });
  }
}

/** A project's own generic test: macros/test_<name>.sql, rendered with model, column_name and the arguments. */
function customTest(c: Compilation, decl: TestDecl, model: string): string | undefined {
  const ast = c.partialAsts.get(`test_${decl.testName}`)!;
  const wanted = contextNames(ast, c.renderEnv.helpers);
  const problems = [...wanted].filter((n) => n !== 'model' && n !== 'column_name' && !(n in decl.args)).map((n) => `test "${decl.testName}" needs the argument "${n}"`);
  if (wanted.has('column_name') && decl.column === undefined) problems.push(`test "${decl.testName}" reads column_name: declare it under a column`);
  for (const message of problems) c.diagnostics.push({ severity: 'error', file: decl.origin.file, line: decl.origin.line, message });
  if (problems.length > 0) return undefined;
  try {
    return renderTemplate(ast, { ...decl.args, model, column_name: decl.column }, c.renderEnv);
  } catch (e) {
    c.diagnostics.push({ severity: 'error', file: decl.origin.file, line: decl.origin.line, message: `test "${decl.testName}": ${(e as Error).message}` });
    return undefined;
  }
}

/** The test macro itself and what it uses (its own mistakes are reported where it is rendered). */
function customUses(c: Compilation, macro: string): { macros: string[]; vars: Record<string, string | null> } {
  const ast = c.partialAsts.get(macro);
  if (!ast) return { macros: [`macro.${macro}`], vars: {} };
  const facts = extractFacts(ast, macro, c.partialAsts, new Set(c.renderEnv.helpers.keys()), [], new Map());
  const uses = c.uses(facts);
  return { macros: [...new Set([`macro.${macro}`, ...uses.macros])].sort(), vars: uses.vars };
}

/** Singular tests: tests/*.sql, a query returning the failing rows. */
export function compileSingularTests(c: Compilation): void {
  for (const file of c.def.singularTests) {
    const parsed = c.parse(file);
    if (!parsed) continue;
    const config = mergeConfig([...c.def.testDefaults, inFileConfig(parsed, c.diagnostics, 'test')]);
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
      dependsOn: c.edgesOf(parsed),
      testType: 'singular',
      testName: name,
      ...testOptions(config),
      sql: '',
      fingerprint: { config: resolvedConfig('test', config, name), rawCode: file.text, checksum: sha256(file.text), ...c.uses(parsed.facts), properties: resourceProperties(undefined) },
    };
    const out = c.render(parsed, skeleton, '');
    if (!out) continue;
    const ctes = out.ephemerals.map((n) => ({ name: n, sql: c.rendered.get(`model.${n}`) ?? 'select 1' }));
    addTest(c, { ...skeleton, sql: limited(withCtes(out.sql, ctes), config) });
  }
}

/** A test's id is unique: a second test of the same name gets `_2`, and so on. */
function addTest(c: Compilation, test: TestNode): void {
  let id = test.id;
  for (let i = 2; c.nodes[id]; i++) id = `${test.id}_${i}`;
  c.nodes[id] = { ...test, id, name: id.slice('test.'.length) };
}

/** What a test reads a node as: a relation, a source's SQL, or an ephemeral model's query as a subquery. */
function relationSql(c: Compilation, node: Node): string {
  const deferred = c.opts.deferred?.get(node.id);
  if (deferred !== undefined) return quoteRelation(deferred);
  if (node.kind === 'source') return node.sql;
  if (node.kind === 'model' && node.materialized === 'ephemeral') return `(\n${c.rendered.get(node.id) ?? 'select 1'}\n)`;
  return quoteRelation((node as ModelNode | SeedNode).relation);
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
