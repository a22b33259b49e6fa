import { RenderError, renderTemplate } from '../compile/render.js';
import { envHelper, parseTemplate } from '../compile/templates.js';
import { isAbsolute, resolve } from 'node:path';
import { didYouMean, type Diagnostic } from '../errors.js';
import { holdsSecret, registerSecret } from '../secrets.js';
import type { TargetDef } from '../types.js';
import type { SourceFile } from './load.js';
import { YamlFile, type YNode } from './yaml.js';

const TARGET_KEYS = ['path', 'threads', 'settings', 'schema', 'publish', 'keep_releases', 'retries', 'output', 'compact'] as const;

export interface ProfileRequest {
  readonly profile: string;
  /** From --target; the profile's `target:` otherwise. */
  readonly target?: string;
  /** Where `profile:` is written in project.yml, for the "no such profile" message. */
  readonly profileLine?: number;
}

/**
 * Renders `{{env "NAME" "default"}}` in profiles.yml, then reads the requested target.
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
  const text = renderEnv(file, env, diagnostics);
  if (text === undefined) return undefined;
  const y = new YamlFile(file.path, text, diagnostics);
  if (!y.root) return undefined;
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
  const body = y.entries(entry.value, `profile "${req.profile}"`, ['target', 'targets']);
  const targets = y.pairs(body.get('targets'), `profile "${req.profile}" targets`);
  const targetName = req.target ?? y.string(body.get('target'), 'target') ?? 'dev';
  const t = targets.find((p) => p.key === targetName);
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
  const publish = y.string(v.get('publish'), 'publish') ?? (targetName === 'prod' ? 'swap' : 'in_place');
  if (publish !== 'swap' && publish !== 'in_place') y.error(v.get('publish'), `publish must be in_place or swap, not "${publish}"`);
  if (publish === 'swap' && rawPath === ':memory:') y.error(v.get('publish'), 'publish: swap needs a database file, not :memory:');
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
  const path = rawPath === ':memory:' || isAbsolute(rawPath) ? rawPath : resolve(root, rawPath);
  if (holdsSecret(rawPath)) registerSecret(path); // resolving may change the text: the whole path is secret
  return {
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
    lines: { file: file.path, path: y.lineOf(v.get('path')), settings: settingLines },
  };
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

function renderEnv(file: SourceFile, env: NodeJS.ProcessEnv, diagnostics: Diagnostic[]): string | undefined {
  if (!file.text.includes('{{')) return file.text;
  const ast = parseTemplate(file.text, file.path, diagnostics);
  if (!ast) return undefined;
  try {
    return renderTemplate(ast, {}, { helpers: new Map([['env', envHelper(env)]]), partials: new Map() });
  } catch (e) {
    diagnostics.push({ severity: 'error', file: file.path, line: e instanceof RenderError ? e.line : undefined, message: e instanceof RenderError ? e.message : `template error: ${(e as Error).message.split('\n')[0]}` });
    return undefined;
  }
}
