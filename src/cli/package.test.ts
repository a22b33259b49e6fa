import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

/** A consumer project whose node_modules/eider is this repository, as `npm install` of it would lay out. */
function consumer(files: Record<string, string>): string {
  dir = mkdtempSync(join(tmpdir(), 'eider-consumer-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(REPO, join(dir, 'node_modules/eider'), 'dir');
  const all = { 'package.json': '{ "name": "consumer", "private": true, "type": "module" }\n', ...files };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const PROJECT = {
  'proj/project.yml': 'name: t\n',
  'proj/profiles/profiles.yml': 't:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n',
  'proj/models/a.sql': 'select 1 as id\n',
  'proj/models/b.sql': 'select id from {{ref "a"}}\n',
};

describe("the package imports by name: import { … } from 'eider'", () => {
  it('an ES module compiles a project with the programmatic API', () => {
    const cwd = consumer({
      ...PROJECT,
      'main.mjs': [
        "import { loadProject, parseProject, compileProject, Dag, UsageError } from 'eider';",
        'const diagnostics = [];',
        "const def = parseProject(loadProject(new URL('./proj', import.meta.url).pathname), {}, diagnostics);",
        "const manifest = await compileProject(def, { invocationId: 'x', runStartedAt: new Date() });",
        'const dag = Dag.build(manifest, diagnostics);',
        "console.log(JSON.stringify({ diagnostics, order: dag.order, sql: manifest.nodes['model.b'].sql, usage: typeof UsageError }));",
        '',
      ].join('\n'),
    });
    const r = spawnSync(process.execPath, ['main.mjs'], { cwd, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { diagnostics: unknown[]; order: string[]; sql: string; usage: string };
    expect(out.diagnostics).toEqual([]);
    expect(out.order).toEqual(['model.a', 'model.b']);
    expect(out.sql).toMatch(/^select id from \S*a\b/);
    expect(out.usage).toBe('function');
  });

  it('a TypeScript consumer type-checks against the shipped declarations', () => {
    const program = [
      "import { loadProject, parseProject, compileProject, type Diagnostic, type Manifest } from 'eider';",
      'const diagnostics: Diagnostic[] = [];',
      "const def = parseProject(loadProject('proj'), {}, diagnostics);",
      "export const manifest: Promise<Manifest> = compileProject(def!, { invocationId: 'x', runStartedAt: new Date() });",
      '// @ts-expect-error: the declarations are real, so a wrong argument type is caught',
      'loadProject(42);',
      '',
    ].join('\n');
    for (const moduleResolution of ['node16', 'bundler']) {
      const cwd = consumer({ 'main.ts': program });
      const module = moduleResolution === 'node16' ? 'node16' : 'esnext';
      const tsc = join(REPO, 'node_modules/typescript/bin/tsc');
      const args = [tsc, '--noEmit', '--strict', '--skipLibCheck', '--types', 'node', '--typeRoots', join(REPO, 'node_modules/@types'), '--module', module, '--moduleResolution', moduleResolution, 'main.ts'];
      const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8' });
      expect(r.stdout + r.stderr, moduleResolution).toBe('');
      expect(r.status, moduleResolution).toBe(0);
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
