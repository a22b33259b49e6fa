import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { queryFile, testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const noTrace = (r: { stdout: string; stderr: string }) => expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);

describe('{{env}} in profiles.yml', () => {
  it("another target's unset variable stops no command; the target that reads it says so at its line (exit 2)", async () => {
    p = testProject({
      'profiles/profiles.yml': [
        't:',
        '  target: dev',
        '  targets:',
        '    dev:',
        '      path: warehouse/dev.duckdb',
        '    prod:',
        '      path: "{{env "EIDER_T_UNSET_PROD_PATH"}}"',
        '    md:',
        '      path: "md:analytics?motherduck_token={{env "EIDER_T_UNSET_TOKEN"}}"',
        '',
      ].join('\n'),
      'models/a.sql': 'select 1 as id\n',
    });
    for (const args of [['build'], ['ls'], ['build', '--target', 'dev', '--log-format', 'json']]) {
      const r = await p.run(...args);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    const prod = await p.run('build', '--target', 'prod');
    expect(prod.code).toBe(2);
    expect(prod.stderr).toMatch(/^profiles\/profiles\.yml:7: environment variable EIDER_T_UNSET_PROD_PATH is not set and has no default$/m);
    expect(prod.stderr).not.toContain('EIDER_T_UNSET_TOKEN');
    noTrace(prod);
  });

  it('a value is used exactly as the environment holds it (quotes, backslashes, tabs) and is never printed', async () => {
    p = testProject({
      'profiles/profiles.yml': 't:\n  target: dev\n  targets:\n    dev:\n      path: "{{env "EIDER_T_DEV_PATH"}}"\n      threads: {{env "EIDER_T_THREADS" "3"}}\n      schema: "s_{{env "EIDER_T_SCHEMA_PART"}}"\n',
      'models/a.sql': "select 1 as id\n",
    });
    const names = ['warehouse/my"dev.duckdb', 'warehouse/C:\\new\\data.duckdb', 'warehouse/a\\tb.duckdb'];
    for (const name of names) {
      const env = { EIDER_T_DEV_PATH: name, EIDER_T_SCHEMA_PART: 'x"y' };
      const r = await p.runWith(env, 'build');
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(existsSync(join(p.dir, name)), name).toBe(true);
      expect(await queryFile(join(p.dir, name), `select count(*)::int as n from "s_x""y".a`)).toEqual([{ n: 1 }]);
      const debug = await p.runWith(env, 'debug');
      expect(debug.code).toBe(0);
      expect(debug.stdout + debug.stderr).not.toContain(name.split('/')[1]);
      expect(debug.stdout).toMatch(/\*\*\*\*\*/);
      expect(debug.stdout).toMatch(/threads:\s+3/);
    }
    expect(readdirSync(join(p.dir, 'warehouse')).some((f) => f.includes('\t'))).toBe(false);
  });

  it('a whole unquoted value keeps the type YAML gives it; a comment keeps every line where it was', async () => {
    p = testProject({
      'profiles/profiles.yml': 't:\n  target: {{env "EIDER_T_TARGET" "dev"}}\n  targets:\n    dev:\n      {{!-- a comment --}}\n      path: warehouse/dev.duckdb\n      threads: {{env "EIDER_T_THREADS"}}\n',
      'models/a.sql': 'select 1 as id\n',
    });
    const ok = await p.runWith({ EIDER_T_THREADS: '2' }, 'debug');
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/threads:\s+2/);
    const bad = await p.runWith({ EIDER_T_THREADS: 'two' }, 'debug');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^profiles\/profiles\.yml:7: threads must be a number$/m);
    const other = await p.runWith({ EIDER_T_THREADS: '2', EIDER_T_TARGET: 'staging' }, 'debug');
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/target "\*\*\*\*\*" not found in profile "t"/); // read from the environment: a secret
    noTrace(other);
  });

  it('keys, whitespace control, multi-line comments, lists, and the profile\'s target: read only without --target', async () => {
    p = testProject({
      'profiles/profiles.yml': [
        '{{!-- the team\'s profile:',
        '     dev builds locally,',
        '     ci in the pipeline --}}',
        '{{env "EIDER_T_PROFILE" "t"}}:',
        '  target: {{env "EIDER_T_UNSET_DEFAULT_TARGET"}}',
        '  targets:',
        '    "{{env "EIDER_T_DEV_NAME" "dev"}}":',
        '      path: warehouse/ {{~env "EIDER_T_FILE" "dev"~}} .duckdb',
        '      extensions: {{env "EIDER_T_EXT" "[json]"}}',
        '      threads: {{env "EIDER_T_THREADS" "nope"}}',
        '',
      ].join('\n'),
      'models/a.sql': 'select 1 as id\n',
    });
    // --target given: the profile's target: (an unset variable) is not read; threads is wrong at its own line.
    const bad = await p.run('debug', '--target', 'dev');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('profiles/profiles.yml:10: threads must be a number\n');
    const ok = await p.runWith({ EIDER_T_THREADS: '2', EIDER_T_FILE: 'qq' }, 'build', '--target', 'dev');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(existsSync(join(p.dir, 'warehouse/qq.duckdb'))).toBe(true);
    const debug = await p.runWith({ EIDER_T_THREADS: '2', EIDER_T_FILE: 'qq' }, 'debug', '--target', 'dev');
    expect(debug.stdout).toMatch(/extensions:\s+json/);
    // No --target: the profile's target: is read, and its unset variable is the error, at its line.
    const unset = await p.runWith({ EIDER_T_THREADS: '2' }, 'debug');
    expect(unset.code).toBe(2);
    expect(unset.stderr).toBe('profiles/profiles.yml:5: environment variable EIDER_T_UNSET_DEFAULT_TARGET is not set and has no default\n');
  });

  it('a file with blocks is rendered as text first, as before', async () => {
    p = testProject({
      'profiles/profiles.yml': 't:\n  target: dev\n  targets:\n    dev:\n      path: {{#if (env "EIDER_T_ALT" "")}}warehouse/alt.duckdb{{else}}warehouse/dev.duckdb{{/if}}\n',
      'models/a.sql': 'select 1 as id\n',
    });
    expect((await p.run('build')).code).toBe(0);
    expect((await p.runWith({ EIDER_T_ALT: '1' }, 'build')).code).toBe(0);
    expect(readdirSync(join(p.dir, 'warehouse')).filter((f) => f.endsWith('.duckdb')).sort()).toEqual(['alt.duckdb', 'dev.duckdb']);
  });
});
