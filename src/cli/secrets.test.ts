import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

/** Every file under target/, with its text. */
function targetFiles(t: TestProject): Array<{ path: string; text: string }> {
  return readdirSync(join(t.dir, 'target'), { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile())
    .map((f) => ({ path: join(f.parentPath, f.name), text: readFileSync(join(f.parentPath, f.name), 'utf8') }));
}

/** The raw value and every escaped form a JSON or SQL writer could give it. */
function forms(secret: string): string[] {
  return [...new Set([secret, JSON.stringify(secret).slice(1, -1), secret.replaceAll("'", "''"), secret.replaceAll('"', '""')])];
}

describe('secrets with characters that JSON and SQL escape', () => {
  it('never appear in any file under target/, raw or escaped, nor in the output', async () => {
    const secrets = {
      EIDER_S_BACKSLASH: 'canary\\back\\slash',
      EIDER_S_QUOTE: 'canary"double"quote',
      EIDER_S_NEWLINE: 'canary\nnew\nline',
      EIDER_S_UNICODE: 'canary-ünïcødé-密码-🦆',
    };
    const uses = Object.keys(secrets).map((name) => `'{{env "${name}"}}' as ${name.toLowerCase()}`).join(', ');
    p = testProject({
      'models/ok.sql': `{{config materialized="table"}}\nselect ${uses}`,
      'models/broken.sql': `select ${uses} from missing_table`,
      'models/schema.yml': 'models:\n  - name: ok\n    columns:\n      - name: eider_s_quote\n        tests:\n          - accepted_values: {values: [nope]}\n',
    });
    const outputs = [await p.runWith(secrets, 'build'), await p.runWith(secrets, 'compile', '-s', 'ok'), await p.runWith(secrets, 'parse')];
    expect(outputs[0].code).toBe(1); // broken fails; its DuckDB error quotes the SQL, secrets included
    expect(outputs[0].stdout).toMatch(/ERROR view main\.broken/);
    const files = targetFiles(p);
    expect(files.map((f) => f.path).join('\n')).toMatch(/manifest\.json[\s\S]*run_results\.json|run_results\.json[\s\S]*manifest\.json/);
    for (const secret of Object.values(secrets)) {
      for (const form of forms(secret)) {
        for (const f of files) expect(f.text, `${f.path} holds ${JSON.stringify(form)}`).not.toContain(form);
        for (const o of outputs) expect(o.stdout + o.stderr).not.toContain(form);
      }
    }
    for (const f of files.filter((x) => x.path.endsWith('.json'))) expect(() => JSON.parse(f.text)).not.toThrow();
    // …and the real values were used to build.
    expect(await p.query('select * from main.ok')).toEqual([Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k.toLowerCase(), v]))]);
  });
});
