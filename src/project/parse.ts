import { basename } from 'node:path';
import { didYouMean, type Diagnostic } from '../errors.js';
import type { TargetDef } from '../types.js';
import { CONFIG_KEYS, checkConfig, type ConfigKind, type ConfigLayer } from './config.js';
import type { ProjectFiles, ProjectPaths, SourceFile } from './load.js';
import { parseDocBlocks, type DocBlock } from './doc-blocks.js';
import { parseProfiles } from './profiles.js';
import { parseSchedules, type Schedule } from '../operate/schedules.js';
import { parseProperties, type ResourceProps, type SourceTableDef } from './properties.js';
import { parseUnitTests, type UnitTestDef } from './unit-tests.js';
import { YamlFile, type YNode } from './yaml.js';
import { renderYamlTemplates, SQL_TEMPLATE_KEYS } from './yaml-templates.js';
import { parseAlerts, type AlertsConfig } from '../operate/alerts/config.js';

/** A model file with the configuration that applies to it before its own `{{config}}`. */
export interface ModelDef {
  readonly name: string;
  readonly file: SourceFile;
  /** sql: a Handlebars template; js: a JavaScript/TypeScript module exporting the model function. */
  readonly language: 'sql' | 'js';
  /** Folder defaults from project.yml (outermost first), then the properties file's `config:`. */
  readonly layers: readonly ConfigLayer[];
  readonly props?: ResourceProps;
}

export interface SeedDef {
  readonly name: string;
  readonly file: string;
  readonly layers: readonly ConfigLayer[];
  readonly props?: ResourceProps;
}

/** The project understood: validated, with config layers gathered and the target resolved. */
export interface ProjectDef {
  readonly root: string;
  readonly name: string;
  readonly paths: ProjectPaths;
  readonly target: TargetDef;
  readonly vars: Readonly<Record<string, unknown>>;
  readonly models: readonly ModelDef[];
  readonly seeds: readonly SeedDef[];
  readonly sources: readonly SourceTableDef[];
  readonly singularTests: readonly SourceFile[];
  readonly unitTests: readonly UnitTestDef[];
  readonly testDefaults: readonly ConfigLayer[];
  /** Project hooks: SQL run once before (after) a run or build, with the line in project.yml. */
  readonly onRunStart: readonly ProjectHook[];
  readonly onRunEnd: readonly ProjectHook[];
  readonly partials: readonly SourceFile[];
  readonly helperModules: readonly string[];
  /** `schedules:`: what `eider schedule` runs (read them through `projectSchedules`). */
  readonly schedules: readonly Schedule[];
  /** Doc blocks (`{% docs name %}` in .md files): `{{doc "name"}}` in descriptions, and the site's `overview`. */
  readonly docs: readonly DocBlock[];
  /** `alerts:` channels and rules (src/operate/alerts.ts). */
  readonly alerts: AlertsConfig;
}

export interface ParseOptions {
  readonly target?: string;
  readonly vars?: Readonly<Record<string, unknown>>;
  readonly env?: NodeJS.ProcessEnv;
}

/** project.yml keys whose string values may hold {{var}}, {{env}} and {{target.…}}. */
const RENDERED_KEYS = ['models', 'seeds', 'tests', 'on_run_start', 'on_run_end', 'alerts'];
const PROJECT_KEYS = ['name', 'version', 'profile', 'paths', 'vars', 'models', 'seeds', 'tests', 'config-version', 'on_run_start', 'on_run_end', 'schedules', 'alerts'];

export function parseProject(files: ProjectFiles, opts: ParseOptions, diagnostics: Diagnostic[]): ProjectDef | undefined {
  diagnostics.push(...files.diagnostics);
  const y = new YamlFile(files.project.path, files.project.text, diagnostics);
  if (!y.root) return undefined;
  const top = y.entries(y.root, 'project.yml', PROJECT_KEYS);
  const name = y.string(top.get('name'), 'name');
  if (!name) {
    if (!top.has('name')) y.error(y.root, 'project.yml needs a name');
    return undefined;
  }
  y.entries(top.get('paths'), 'paths', ['models', 'seeds', 'tests', 'macros', 'snapshots', 'output', 'target', 'docs']);
  const docs = parseDocBlocks(files.docs, diagnostics);
  const env = opts.env ?? process.env;
  const profile = y.string(top.get('profile'), 'profile') ?? name;
  const target = parseProfiles(files.root, files.profiles, { profile, target: opts.target, profileLine: y.lineOf(top.get('profile')) }, env, diagnostics);
  // Templates in YAML values: vars first (they may read env and target), then what reads them.
  const templates = target && { vars: opts.vars ?? {}, env, target, docs };
  if (templates) top.set('vars', renderYamlTemplates(y, top.get('vars'), templates)!);
  const vars = { ...((y.value(top.get('vars')) as Record<string, unknown> | null) ?? {}), ...opts.vars };
  const yamlTemplates = templates && { ...templates, vars };
  for (const key of RENDERED_KEYS) if (yamlTemplates && top.has(key)) top.set(key, renderYamlTemplates(y, top.get(key), yamlTemplates, SQL_TEMPLATE_KEYS)!);
  const modelFolders = folderDefaults(y, top.get('models'), 'model', files.paths.models, files.modelFolders, name);
  const seedFolders = folderDefaults(y, top.get('seeds'), 'seed', files.paths.seeds, files.seedFolders, name);
  const testDefaults = folderDefaults(y, top.get('tests'), 'test', files.paths.tests, [], name);

  const schedules = parseSchedules(y, top.get('schedules'));

  const customTests = new Set(files.partials.map((f) => basename(f.path, '.sql')).filter((n) => n.startsWith('test_')).map((n) => n.slice('test_'.length)));
  const props = parseProperties(files.properties, diagnostics, customTests, yamlTemplates);
  if (!target) return undefined;

  const modelProps = new Map(props.models.map((m) => [m.name, m]));
  const seedProps = new Map(props.seeds.map((s) => [s.name, s]));
  const snapshotDefault: ConfigLayer = { values: { materialized: 'snapshot' }, origin: { file: files.paths.snapshots } };
  const models = [
    ...files.models.map((file): ModelDef => {
      const modelName = basename(file.path, '.sql');
      const p = modelProps.get(modelName);
      return { name: modelName, file, language: 'sql', layers: layersFor(file.path, modelFolders, p), props: p };
    }),
    ...files.jsModels.map((path): ModelDef => {
      const name = basename(path).replace(/\.(m?js|ts)$/, '');
      const p = modelProps.get(name);
      return { name, file: { path, text: '' }, language: 'js', layers: layersFor(path, modelFolders, p), props: p };
    }),
    ...files.snapshots.map((file): ModelDef => {
      const name = basename(file.path, '.sql');
      const p = modelProps.get(name);
      return { name, file, language: 'sql', layers: [snapshotDefault, ...(p?.config ? [p.config] : [])], props: p };
    }),
  ];
  const seeds = files.seeds.map((file): SeedDef => {
    const seedName = basename(file, '.csv');
    const p = seedProps.get(seedName);
    return { name: seedName, file, layers: layersFor(file, seedFolders, p), props: p };
  });
  checkDuplicates([...models.map((m) => ({ name: m.name, file: m.file.path })), ...seeds.map((s) => ({ name: s.name, file: s.file }))], diagnostics);
  checkPropsMatch(props.models, models.map((m) => m.name), 'model', diagnostics);
  checkPropsMatch(props.seeds, seeds.map((s) => s.name), 'seed', diagnostics);

  return {
    root: files.root,
    name,
    paths: files.paths,
    target,
    vars,
    models,
    seeds,
    sources: props.sources,
    singularTests: files.singularTests,
    unitTests: parseUnitTests(files.unitTests, diagnostics),
    onRunStart: projectHooks(y, top.get('on_run_start'), 'on_run_start'),
    onRunEnd: projectHooks(y, top.get('on_run_end'), 'on_run_end'),
    testDefaults: testDefaults.map((f) => f.layer),
    partials: files.partials,
    helperModules: files.helperModules,
    schedules,
    docs,
    alerts: parseAlerts(y, top.get('alerts')),
  };
}

export interface ProjectHook {
  readonly key: 'on_run_start' | 'on_run_end';
  readonly sql: string;
  readonly file: string;
  readonly line?: number;
}

/** on_run_start / on_run_end: a string or a list of strings, each with its line. */
function projectHooks(y: YamlFile, node: YNode | undefined, key: ProjectHook['key']): ProjectHook[] {
  if (!node || node.value === null) return [];
  if (typeof node.value === 'string') return [{ key, sql: node.value, file: y.file, line: node.line }];
  if (!Array.isArray(node.value) || !node.value.every((v) => typeof v === 'string')) {
    y.error(node, `${key} must be a string or a list of strings`);
    return [];
  }
  return y.items(node, key).map((item) => ({ key, sql: item.value as string, file: y.file, line: item.line }));
}

interface FolderLayer {
  readonly folder: string;
  readonly layer: ConfigLayer;
}

/**
 * `models: {materialized: view, staging: {schema: staging}}`: a key is a config key (or `+key`),
 * or the name of a sub-folder. Anything else is an error with a suggestion.
 */
function folderDefaults(y: YamlFile, node: YNode | null | undefined, kind: ConfigKind, base: string, folders: readonly string[], project: string): FolderLayer[] {
  const out: FolderLayer[] = [];
  const walk = (n: YNode | null | undefined, folder: string) => {
    const values: Record<string, unknown> = {};
    const lines: Record<string, number | undefined> = {};
    for (const p of y.pairs(n, `${kind}s in project.yml`)) {
      const key = p.key.startsWith('+') ? p.key.slice(1) : p.key;
      const isConfig = p.key.startsWith('+') || (CONFIG_KEYS[kind] as readonly string[]).includes(key);
      if (isConfig) {
        const value = y.value(p.value);
        const problem = checkConfig(kind, key, value);
        if (problem) y.error(p.keyNode, problem);
        else (values[key] = value), (lines[key] = y.lineOf(p.keyNode));
        continue;
      }
      const sub = `${folder}/${key}`;
      if (folder === base && key === project) walk(p.value, folder);
      else if (folders.includes(sub)) walk(p.value, sub);
      else {
        const children = folders.filter((f) => f.startsWith(`${folder}/`) && !f.slice(folder.length + 1).includes('/')).map((f) => f.slice(folder.length + 1));
        y.error(p.keyNode, `unknown key "${key}" under ${kind}s: not a config key nor a folder in ${folder}/${didYouMean(key, [...CONFIG_KEYS[kind], ...children])}`);
      }
    }
    if (Object.keys(values).length > 0) out.push({ folder, layer: { values, origin: { file: y.file, line: y.lineOf(n) }, lines } });
  };
  walk(node, base);
  return out;
}

function layersFor(file: string, folders: readonly FolderLayer[], props?: ResourceProps): ConfigLayer[] {
  const applicable = folders.filter((f) => file.startsWith(`${f.folder}/`)).sort((a, b) => a.folder.length - b.folder.length);
  return [...applicable.map((f) => f.layer), ...(props?.config ? [props.config] : [])];
}

function checkDuplicates(entries: Array<{ name: string; file: string }>, diagnostics: Diagnostic[]): void {
  const seen = new Map<string, string>();
  for (const e of entries) {
    const first = seen.get(e.name);
    if (first) diagnostics.push({ severity: 'error', file: e.file, line: 1, message: `duplicate name "${e.name}": also defined by ${first}` });
    else seen.set(e.name, e.file);
  }
}

function checkPropsMatch(props: readonly ResourceProps[], names: readonly string[], kind: string, diagnostics: Diagnostic[]): void {
  const known = new Set(names);
  for (const p of props) {
    if (!known.has(p.name)) {
      diagnostics.push({ severity: 'error', file: p.origin.file, line: p.origin.line, message: `properties for unknown ${kind} "${p.name}"${didYouMean(p.name, names)}` });
    }
  }
}
