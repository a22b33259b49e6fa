import { randomBytes } from 'node:crypto';
import { RenderError, renderTemplate, type Helper } from '../compile/render.js';
import { envHelper, parseTemplate } from '../compile/templates.js';
import { isAbsolute, resolve } from 'node:path';
import { didYouMean, type Diagnostic } from '../errors.js';
import { holdsSecret, registerSecret } from '../secrets.js';
import type { AttachDef, TargetDef } from '../types.js';
import { databaseKind, DEFER_CATALOG, motherDuckDatabase, TARGET_CATALOG } from '../adapter/databases.js';
import type { SourceFile } from './load.js';
import { parseYamlValue, YamlFile, type YNode } from './yaml.js';

const TARGET_KEYS = ['path', 'threads', 'settings', 'schema', 'publish', 'keep_releases', 'retries', 'output', 'data_path', 'attach', 'extensions', 'compact'] as const;
/** Catalog names an attached database cannot take: the target's own, and DuckDB's. */
const RESERVED_ALIASES = [TARGET_CATALOG, DEFER_CATALOG, 'memory', 'system', 'temp', 'main'];

export interface ProfileRequest {
  readonly profile: string;
  /** From --target; the profile's `target:` otherwise. */
  readonly target?: string;
  /** Where `profile:` is written in project.yml, for the "no such profile" message. */
  readonly profileLine?: number;
}

/**
 * Reads the requested target of profiles.yml, rendering its `{{env "NAME" "default"}}` (see `envTemplates`): only
 * profile and target names, the profile's `target:` (without --target) and that target's values are rendered, so
 * another target's unset variable is no error here.
 * Every value taken from the environment is registered as a secret.
 */
export function parseProfiles(
  root: string,
  file: SourceFile | undefined,
  req: ProfileRequest,
  env: NodeJS.ProcessEnv,
  diagnostics: Diagnostic[],
): TargetDef | undefined {
  if (!file) {
    diagnostics.push({ severity: 'error', file: 'profiles/profiles.yml', message: 'profiles file not found: create profiles/profiles.yml (or pass --profiles-dir)' });
    return undefined;
  }
  const templates = envTemplates(file, env, diagnostics);
  if (templates === undefined) return undefined;
  const y = new YamlFile(file.path, templates.text, diagnostics);
  if (!y.root) return undefined;
  const failed = diagnostics.length;
  // Keys name profiles and targets: rendered to find the ones asked for.
  templates.fillKeys(y.root.value);
  const profiles = y.pairs(y.root, 'profiles.yml');
  const entry = profiles.find((p) => p.key === req.profile);
  if (!entry) {
    diagnostics.push({
      severity: 'error',
      file: 'project.yml',
      line: req.profileLine,
      message: `profile "${req.profile}" not found in ${file.path}${didYouMean(req.profile, profiles.map((p) => p.key))}`,
    });
    return undefined;
  }
  templates.fillKeys(entry.value.value);
  const body = y.entries(entry.value, `profile "${req.profile}"`, ['target', 'targets']);
  templates.fillKeys(body.get('targets')?.value);
  const targets = y.pairs(body.get('targets'), `profile "${req.profile}" targets`);
  // The profile's `target:` is read only when --target names none.
  const defaultTarget = req.target === undefined && body.get('target') ? { ...body.get('target')!, value: templates.fill(body.get('target')!.value) } : undefined;
  if (diagnostics.length > failed) return undefined;
  const targetName = req.target ?? y.string(defaultTarget, 'target') ?? 'dev';
  const t = targets.find((p) => p.key === targetName);
  if (t) templates.fill(t.value.value);
  if (diagnostics.length > failed) return undefined;
  if (!t) {
    diagnostics.push({
      severity: 'error',
      file: file.path,
      line: y.lineOf(entry.keyNode),
      message: `target "${targetName}" not found in profile "${req.profile}"${didYouMean(targetName, targets.map((p) => p.key))}; targets: ${targets.map((p) => p.key).join(', ') || 'none'}`,
    });
    return undefined;
  }
  const v = y.entries(t.value, `target "${targetName}"`, TARGET_KEYS);
  const rawPath = y.string(v.get('path'), 'path');
  if (rawPath === undefined) {
    y.error(t.keyNode, `target "${targetName}" needs a path (the DuckDB file, or :memory:)`);
    return undefined;
  }
  const threads = y.number(v.get('threads'), 'threads') ?? 4;
  if (!Number.isInteger(threads) || threads < 1) y.error(v.get('threads'), 'threads must be a positive integer');
  const schema = y.string(v.get('schema'), 'schema') ?? 'main';
  if (schema.trim() === '') y.error(v.get('schema'), 'schema must be a non-empty string');
  const settings: Record<string, string> = {};
  const settingLines: Record<string, number | undefined> = {};
  for (const s of y.pairs(v.get('settings'), 'settings')) {
    const value = y.value(s.value);
    if (typeof value === 'object' && value !== null) y.error(s.keyNode, `setting ${s.key} must be a single value`);
    else (settings[s.key] = String(value)), (settingLines[s.key] = y.lineOf(s.keyNode));
  }
  const kind = databaseKind(rawPath);
  const local = kind === 'file' || kind === 'memory';
  const publish = y.string(v.get('publish'), 'publish') ?? (targetName === 'prod' && local ? 'swap' : 'in_place');
  if (publish !== 'swap' && publish !== 'in_place') y.error(v.get('publish'), `publish must be in_place or swap, not "${publish}"`);
  if (publish === 'swap' && rawPath === ':memory:') y.error(v.get('publish'), 'publish: swap needs a database file, not :memory:');
  if (publish === 'swap' && !local) {
    y.error(v.get('publish'), `publish: swap renames a local DuckDB file, and a ${kind === 'motherduck' ? 'MotherDuck database' : 'DuckLake catalog'} is not one: use publish: in_place (each model is replaced in one transaction)`);
  }
  if (kind === 'motherduck' && !/^[A-Za-z_][\w$]*$/.test(motherDuckDatabase(rawPath))) y.error(v.get('path'), 'a MotherDuck target names its database: path: md:<database>');
  const dataPath = y.string(v.get('data_path'), 'data_path');
  if (v.has('data_path') && kind !== 'ducklake') y.error(v.get('data_path'), 'data_path applies to a DuckLake target (path: ducklake:<metadata file>)');
  if (kind === 'ducklake' && dataPath === undefined) y.error(v.get('path'), 'a DuckLake target needs data_path: the folder (or URL) its Parquet files are written to');
  const keepReleases = y.number(v.get('keep_releases'), 'keep_releases') ?? 3;
  if (!Number.isInteger(keepReleases) || keepReleases < 0) y.error(v.get('keep_releases'), 'keep_releases must be a whole number');
  const r = y.entries(v.get('retries'), 'retries', ['attempts', 'backoff_ms']);
  const attempts = y.number(r.get('attempts'), 'retries.attempts') ?? 3;
  const backoffMs = y.number(r.get('backoff_ms'), 'retries.backoff_ms') ?? 250;
  if (!Number.isInteger(attempts) || attempts < 1) y.error(r.get('attempts'), 'retries.attempts must be a whole number, at least 1');
  if (!(backoffMs >= 0)) y.error(r.get('backoff_ms'), 'retries.backoff_ms must be a number of milliseconds');
  const output = y.string(v.get('output'), 'output');
  if (output !== undefined && (output.trim() === '' || isAbsolute(output) || output.split(/[\\/]/).includes('..'))) {
    y.error(v.get('output'), 'output must be a folder inside the project (a relative path without ..)');
  }
  const compact = compactPolicy(y, v.get('compact'));
  const path = resolvePath(root, rawPath);
  if (holdsSecret(rawPath)) registerSecret(path); // resolving may change the text: the whole path is secret
  const extensionLines: Record<string, number | undefined> = {};
  const extensions: string[] = [];
  for (const item of y.items(v.get('extensions'), 'extensions')) {
    const name = y.string(item, 'extension');
    if (name === undefined) continue;
    if (!/^[A-Za-z0-9_]+$/.test(name)) y.error(item, `extension "${name}" is not an extension name (letters, digits and _)`);
    else if (!extensions.includes(name)) extensions.push(name), (extensionLines[name] = y.lineOf(item));
  }
  const attach = parseAttach(y, root, v.get('attach'), publish);
  return {
    dataPath: dataPath === undefined ? undefined : resolvePath(root, dataPath),
    extensions,
    attach: attach.map((a) => a.def),
    output,
    profile: req.profile,
    name: targetName,
    retries: { attempts, backoffMs },
    publish: publish as TargetDef['publish'],
    keepReleases,
    compact,
    path,
    threads: Math.max(1, Math.floor(threads)),
    schema,
    settings,
    lines: { file: file.path, path: y.lineOf(v.get('path')), settings: settingLines, extensions: extensionLines, attach: Object.fromEntries(attach.map((a) => [a.def.alias, a.line])) },
  };
}

/** A local path is resolved against the project; `:memory:`, URLs and `md:` are kept; `ducklake:<file>` resolves its file. */
function resolvePath(root: string, raw: string): string {
  if (raw === ':memory:' || isAbsolute(raw)) return raw;
  const lake = /^ducklake:(.*)$/i.exec(raw);
  if (lake) return isRemote(lake[1]) || isAbsolute(lake[1]) ? raw : `ducklake:${resolve(root, lake[1])}`;
  if (isRemote(raw) || databaseKind(raw) === 'motherduck') return raw;
  return /[\\/]$/.test(raw) ? `${resolve(root, raw)}/` : resolve(root, raw); // a folder keeps its trailing slash
}

/** `s3://…`, `https://…`, `postgres:…` (a DuckLake catalog in Postgres): not a local path. */
function isRemote(path: string): boolean {
  return /^[A-Za-z][\w+.-]*:\/\//.test(path) || /^(postgres|mysql|sqlite):/i.test(path);
}

/**
 * `attach: [{path, alias, read_only}]`: read-only unless `read_only: false`, which a swap target refuses (a prod
 * build never writes a file other than its own release).
 */
function parseAttach(y: YamlFile, root: string, node: YNode | undefined, publish: string): Array<{ def: AttachDef; line?: number }> {
  const out: Array<{ def: AttachDef; line?: number }> = [];
  for (const item of y.items(node, 'attach')) {
    const e = y.entries(item, 'attach entry', ['path', 'alias', 'read_only']);
    const raw = y.string(e.get('path'), 'path');
    const alias = y.string(e.get('alias'), 'alias');
    const readOnly = y.boolean(e.get('read_only'), 'read_only') ?? true;
    if (raw === undefined || alias === undefined) {
      y.error(item, 'an attach entry needs a path and an alias: {path: legacy.duckdb, alias: legacy_db}');
      continue;
    }
    if (RESERVED_ALIASES.includes(alias.toLowerCase())) y.error(e.get('alias'), `alias "${alias}" is taken (${RESERVED_ALIASES.join(', ')} are DuckDB's or eider's own): choose another`);
    else if (out.some((a) => a.def.alias.toLowerCase() === alias.toLowerCase())) y.error(e.get('alias'), `alias "${alias}" is attached twice`);
    if (!readOnly && publish === 'swap') y.error(e.get('read_only'), `attach "${alias}": a swap (prod) build only reads other databases: read_only: false is refused`);
    const path = resolvePath(root, raw);
    if (holdsSecret(raw)) registerSecret(path);
    out.push({ def: { path, alias, readOnly }, line: y.lineOf(item) });
  }
  return out;
}

/** `compact: {threshold: 1.5, every: 0}`: a file past 1.5 times its used size is compacted after the build. */
function compactPolicy(y: YamlFile, node: YNode | undefined): TargetDef['compact'] {
  const c = y.entries(node, 'compact', ['threshold', 'every']);
  const threshold = y.number(c.get('threshold'), 'compact.threshold') ?? 1.5;
  const every = y.number(c.get('every'), 'compact.every') ?? 0;
  if (!(threshold > 1)) y.error(c.get('threshold'), `compact.threshold must be a number above 1 (the file's size over the size its data uses), not ${threshold}`);
  if (!Number.isInteger(every) || every < 0) y.error(c.get('every'), `compact.every must be a whole number of builds (0: never), not ${every}`);
  return { threshold, every };
}

/**
 * profiles.yml is a template before it is YAML (`path: "{{env "X" "d"}}"` nests quotes), rendered as text as it
 * always was — whitespace control, escapes and comments as Handlebars has them — except that `{{env}}` renders a
 * placeholder, not the value: no value is pasted into the YAML text. Once the YAML is parsed, `fill` (a value, with
 * its keys) and `fillKeys` (a mapping's keys) replace the placeholders in what a command uses by the values, exactly
 * as the environment holds them (quotes, backslashes, newlines); only then is a variable read, and an unset one
 * without a default an error at its line. A placeholder that is a whole unquoted value takes the value YAML gives its
 * text, as the pasted text did (`threads: {{env "T" "4"}}` is the number 4, `extensions: {{env "E" "[json]"}}` a
 * list). A file with blocks (`{{#if (env "X")}}`) is rendered with the values themselves, as before.
 */
function envTemplates(
  file: SourceFile,
  env: NodeJS.ProcessEnv,
  diagnostics: Diagnostic[],
): { text: string; fill: (value: unknown) => unknown; fillKeys: (mapping: unknown) => void } | undefined {
  const none = (text: string) => ({ text, fill: (v: unknown) => v, fillKeys: () => undefined });
  if (!file.text.includes('{{')) return none(file.text);
  let ast = parseTemplate(file.text, file.path, diagnostics);
  if (!ast) return undefined;
  const fail = (e: unknown) => {
    diagnostics.push({ severity: 'error', file: file.path, line: e instanceof RenderError ? e.line : undefined, message: e instanceof RenderError ? e.message : `template error: ${(e as Error).message.split('\n')[0]}` });
  };
  const render = (helper: Helper, template = ast!): string | undefined => {
    try {
      return renderTemplate(template, {}, { helpers: new Map([['env', helper]]), partials: new Map() });
    } catch (e) {
      fail(e);
      return undefined;
    }
  };
  if (ast.body.some((st) => st.type === 'BlockStatement' || st.type === 'PartialStatement')) {
    const text = render(envHelper(env));
    return text === undefined ? undefined : none(text);
  }
  // A comment becomes the line breaks it spans, so every line after it stays where it is in messages (Handlebars
  // would take a comment's own line away with it).
  const comments = ast.body.filter((st) => st.type === 'CommentStatement');
  if (comments.length > 0) {
    const lineStarts = [0];
    for (let i = 0; i < file.text.length; i++) if (file.text.charCodeAt(i) === 10) lineStarts.push(i + 1);
    const offset = (at: hbs.AST.Position) => lineStarts[at.line - 1] + at.column;
    let source = '';
    let from = 0;
    for (const c of comments) {
      source += file.text.slice(from, offset(c.loc.start)) + '\n'.repeat(c.loc.end.line - c.loc.start.line);
      from = offset(c.loc.end);
    }
    ast = parseTemplate(source + file.text.slice(from), file.path, diagnostics);
    if (!ast) return undefined;
  }
  const program = ast;
  // Letters, digits and _ only: a plain YAML scalar, or part of a quoted one, whatever surrounds it.
  const tag = `eider_env_${randomBytes(6).toString('hex')}_`;
  // Each placeholder reads its variable when filled (an unset one is an error at its own line, from its options).
  const uses: Array<() => unknown> = [];
  const placeholders: Helper = (...args: unknown[]) => {
    uses.push(() => envHelper(env)(...args));
    return `${tag}${uses.length - 1}_`;
  };
  const text = render(placeholders, program);
  if (text === undefined) return undefined;
  const placeholder = new RegExp(`${tag}(\\d+)_`, 'g');
  const values = new Map<number, unknown>();
  const valueOf = (i: number): unknown => {
    if (!values.has(i)) {
      let v: unknown;
      try {
        v = uses[i]();
      } catch (e) {
        fail(e);
      }
      values.set(i, v);
    }
    return values.get(i);
  };
  const show = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  const fillString = (s: string): unknown => {
    if (!s.includes(tag)) return s;
    const whole = new RegExp(`^${tag}(\\d+)_$`).exec(s);
    // Unquoted in the text: YAML reads the value as it read the pasted text.
    if (whole && !/["']$/.test(text.slice(0, text.indexOf(s)))) {
      const v = show(valueOf(Number(whole[1])));
      try {
        return parseYamlValue(v) ?? null;
      } catch {
        return v;
      }
    }
    return s.replace(placeholder, (_, i: string) => show(valueOf(Number(i))));
  };
  const fillKeys = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return;
    const entries = Object.entries(v);
    if (!entries.some(([k]) => k.includes(tag))) return;
    // Renamed in place, in order: the parsed file's lines are kept by the mapping's identity and its keys' order.
    for (const [k] of entries) delete (v as Record<string, unknown>)[k];
    for (const [k, x] of entries) (v as Record<string, unknown>)[String(fillString(k))] = x;
  };
  const fill = (v: unknown): unknown => {
    if (typeof v === 'string') return fillString(v);
    if (Array.isArray(v)) v.forEach((x, i) => (v[i] = fill(x)));
    else if (v !== null && typeof v === 'object') {
      fillKeys(v);
      for (const [k, x] of Object.entries(v)) (v as Record<string, unknown>)[k] = fill(x);
    }
    return v;
  };
  return { text, fill, fillKeys };
}
