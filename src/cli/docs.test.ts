import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import type { DocsCode, DocsData } from '../docs/site/types.js';
import { BIN, testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
let server: ChildProcess | undefined;
let holder: Server | undefined;
afterEach(() => {
  server?.kill('SIGKILL');
  server = undefined;
  holder?.close();
  holder = undefined;
  p?.remove();
});

const PROJECT = {
  'seeds/raw_orders.csv': 'id,amount\n1,10.5\n2,20\n',
  'models/staging/stg_orders.sql': `{{config materialized="table"}}\nselect id::int as order_id, amount::decimal(10,2) as amount from {{ref "raw_orders"}}`,
  'models/marts/fct_orders.sql': `select order_id, amount * 2 as doubled from {{ref "stg_orders"}}`,
  'models/docs.md': '{% docs overview %}\n# Shop\nThe **shop** project.\n{% enddocs %}\n\n{% docs order_id %}\nThe order\'s id </script><script>window.x=1</script>\n{% enddocs %}\n',
  'models/staging/props.yml': [
    'models:',
    '  - name: stg_orders',
    '    description: Orders, cleaned.',
    '    columns:',
    '      - name: order_id',
    '        description: \'{{doc "order_id"}}\'',
    '        tests: [not_null, unique]',
    '',
  ].join('\n'),
};

/** data.js as the browser reads it: `window.EIDER_DOCS = …;`, run in a sandbox. */
function siteData(t: TestProject): DocsData {
  const window: { EIDER_DOCS?: DocsData } = {};
  runInNewContext(readFileSync(join(t.dir, 'target/docs/data.js'), 'utf8'), { window });
  return window.EIDER_DOCS!;
}

/** code/<n>.js as the browser reads it: `window.EIDER_CODE(n, {…});`. */
function siteCode(t: TestProject, chunk: number): Record<string, DocsCode> {
  let code: Record<string, DocsCode> = {};
  runInNewContext(readFileSync(join(t.dir, `target/docs/code/${chunk}.js`), 'utf8'), { window: { EIDER_CODE: (k: number, c: Record<string, DocsCode>) => k === chunk && (code = c) } });
  return code;
}

describe('eider docs generate', () => {
  it('a secret used as a relation name never reaches data.js or manifest.json, whatever its case (lineage lower-cases names)', async () => {
    p = testProject({ ...PROJECT, 'models/marts/leaky.sql': 'select t.amount from {{env "RV_SCHEMA"}}.payments t' });
    const r = await p.runWith({ RV_SCHEMA: 'RawSecretZone' }, 'docs', 'generate');
    expect(r.code).toBe(0);
    const site = readFileSync(join(p.dir, 'target/docs/data.js'), 'utf8');
    const manifest = readFileSync(join(p.dir, 'target/manifest.json'), 'utf8');
    expect(manifest).toContain('*****.payments');
    for (const text of [site, manifest, r.stdout, r.stderr]) expect(text.toLowerCase()).not.toContain('rawsecretzone');
  });

  it('writes index.html, the browser code and data.js with every node, its columns, DuckDB types, tests and builds', async () => {
    p = testProject(PROJECT);
    expect((await p.run('build')).code).toBe(0);
    expect((await p.run('build')).code).toBe(0);
    const r = await p.run('docs', 'generate');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Wrote the documentation site of \d+ nodes to target\/docs\/index\.html/);
    for (const f of ['index.html', 'app.js', 'style.css', 'data.js']) expect(existsSync(join(p.dir, 'target/docs', f)), f).toBe(true);
    expect(existsSync(join(p.dir, 'target/catalog.json'))).toBe(true); // made because it was absent
    const data = siteData(p);
    expect(data.project).toEqual({ name: 't', target: 'dev', overview: '# Shop\nThe **shop** project.' });
    expect(data.notes).toEqual([]);
    const stg = data.nodes.find((n) => n.unique_id === 'model.stg_orders')!;
    expect(stg).toMatchObject({ resource_type: 'model', layer: 'staging', relation: 'main.stg_orders', description: 'Orders, cleaned.', original_file_path: 'models/staging/stg_orders.sql' });
    expect(stg.columns).toEqual([
      { name: 'order_id', description: "The order's id </script><script>window.x=1</script>", data_type: 'INTEGER' },
      { name: 'amount', description: '', data_type: 'DECIMAL(10,2)' },
    ]);
    expect(stg.stats).toMatchObject({ type: 'table', row_count: 2 });
    expect(stg.runs).toHaveLength(2);
    expect(stg.runs[1]).toMatchObject({ status: 'success', rows: 2 });
    expect(data.releases).toHaveLength(2);
    const test = data.nodes.find((n) => n.unique_id === 'test.unique_stg_orders_order_id')!;
    expect(test.test).toMatchObject({ attached_node: 'model.stg_orders', column_name: 'order_id', test_name: 'unique' });
    expect(test.last_result).toMatchObject({ status: 'pass', failures: 0 });
    const fct = data.nodes.find((n) => n.unique_id === 'model.fct_orders')!;
    expect(fct).toMatchObject({ layer: 'marts', depends_on: ['model.stg_orders'], code_chunk: 0 });
    expect(siteCode(p, 0)['model.fct_orders']).toEqual({ raw_code: expect.stringContaining('{{ref "stg_orders"}}'), compiled_code: expect.stringContaining('"main"."stg_orders"') });
    expect(data.nodes.find((n) => n.unique_id === 'seed.raw_orders')).toMatchObject({ layer: 'seeds' });
    // Text that would end the <script> is escaped in data.js.
    for (const f of ['data.js', 'code/0.js']) expect(readFileSync(join(p.dir, 'target/docs', f), 'utf8')).not.toMatch(/<\/script|<script/i);
    // manifest.json holds the resolved Markdown, still one node per line.
    const manifestText = readFileSync(join(p.dir, 'target/manifest.json'), 'utf8');
    const manifest = JSON.parse(manifestText);
    expect(manifest.nodes['model.stg_orders'].columns[0].description).toBe("The order's id </script><script>window.x=1</script>");
    expect(manifestText.split('\n').filter((l) => l.startsWith('"model.stg_orders":{"unique_id"'))).toHaveLength(1);
  });

  it('generates a site with no types or history when the target file does not exist yet, and says so', async () => {
    p = testProject(PROJECT);
    const r = await p.run('docs', 'generate');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const data = siteData(p);
    expect(data.notes).toEqual([expect.stringMatching(/target "dev" has no file yet .*no column types, no build history/)]);
    expect(data.nodes.find((n) => n.unique_id === 'model.stg_orders')!.columns).toEqual([{ name: 'order_id', description: expect.any(String), data_type: null }]);
    expect(existsSync(join(p.dir, 'warehouse/dev.duckdb'))).toBe(false);
  });

  it('--select keeps only the selected nodes (and their tests)', async () => {
    p = testProject(PROJECT);
    const r = await p.run('docs', 'generate', '--select', 'stg_orders');
    expect(r.code).toBe(0);
    expect(siteData(p).nodes.map((n) => n.unique_id)).toEqual(['model.stg_orders', 'test.not_null_stg_orders_order_id', 'test.unique_stg_orders_order_id']);
  });

  it('an unknown doc block is an error at its YAML line (exit 2), and nothing is written', async () => {
    p = testProject({ ...PROJECT, 'models/staging/props.yml': PROJECT['models/staging/props.yml'].replace('{{doc "order_id"}}', 'See {{doc "order_idd"}}.') });
    const r = await p.run('docs', 'generate');
    expect(r.stderr.trim()).toBe('models/staging/props.yml:6: unknown doc block "order_idd" (did you mean "order_id"?)');
    expect(r.code).toBe(2);
    expect(existsSync(join(p.dir, 'target/docs'))).toBe(false);
    // Every command reads descriptions: build stops at the same line.
    expect((await p.run('build')).stderr.trim()).toBe(r.stderr.trim());
  });

  it('a doc block defined twice is an error at both places', async () => {
    p = testProject({ ...PROJECT, 'models/marts/more.md': 'Notes.\n\n{% docs order_id %}\nagain\n{% enddocs %}\n' });
    const r = await p.run('docs', 'generate');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').sort()).toEqual([
      'models/docs.md:6: doc block "order_id" is defined twice (also at models/marts/more.md:3)',
      'models/marts/more.md:3: doc block "order_id" is defined twice (also at models/docs.md:6)',
    ]);
  });

  it('a changed doc block is read again (the parse cache sees it)', async () => {
    p = testProject(PROJECT);
    const description = () => JSON.parse(readFileSync(join(p!.dir, 'target/manifest.json'), 'utf8')).nodes['model.stg_orders'].columns[0].description;
    expect((await p.run('parse')).code).toBe(0);
    expect(description()).toMatch(/^The order's id/);
    p.write('models/docs.md', PROJECT['models/docs.md'].replace("The order's id", 'The id of the order'));
    expect((await p.run('parse')).code).toBe(0);
    expect(description()).toMatch(/^The id of the order/);
  });

  it('{{doc}} takes one name', async () => {
    p = testProject({ ...PROJECT, 'models/staging/props.yml': PROJECT['models/staging/props.yml'].replace('{{doc "order_id"}}', '{{doc order_id}}') });
    const r = await p.run('parse');
    expect(r.stderr.trim()).toBe('models/staging/props.yml:6: doc takes the name of a doc block: {{doc "name"}}');
    expect(r.code).toBe(2);
  });
});

/** Starts `eider docs serve` and resolves with the port once it listens. */
async function serve(t: TestProject, ...args: string[]): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [BIN, 'docs', 'serve', '--port', '0', ...args], { cwd: t.dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  server = child;
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
  return { port, child };
}

/** A GET with the path sent exactly as written (no client-side normalization of `..`). */
function get(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('eider docs serve', () => {
  it('serves the site with content types, refuses paths outside it, and stops cleanly on SIGTERM', async () => {
    p = testProject({ ...PROJECT, 'target/secret.txt': 'outside the site' });
    expect((await p.run('docs', 'generate')).code).toBe(0);
    const { port, child } = await serve(p);
    const index = await get(port, '/');
    expect(index).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
    expect(index.body).toContain('<script src="data.js">');
    expect(await get(port, '/app.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' });
    expect(await get(port, '/data.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8', body: expect.stringMatching(/^window\.EIDER_DOCS = /) });
    expect(await get(port, '/style.css')).toMatchObject({ status: 200, type: 'text/css; charset=utf-8' });
    expect((await get(port, '/nope.js')).status).toBe(404);
    for (const path of ['/../secret.txt', '/../../project.yml', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/x/..%2f..%2fsecret.txt', '/..\\secret.txt']) {
      const r = await get(port, path);
      expect([403, 404], path).toContain(r.status);
      expect(r.body, path).not.toContain('outside the site');
    }
    const code = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await code).toBe(0);
    server = undefined;
  });

  it('a port in use is one line and exit 2', async () => {
    p = testProject(PROJECT);
    expect((await p.run('docs', 'generate')).code).toBe(0);
    holder = createServer();
    const port = await new Promise<number>((resolve) => holder!.listen(0, '127.0.0.1', () => resolve((holder!.address() as { port: number }).port)));
    const r = await p.run('docs', 'serve', '--port', String(port));
    expect(r.stderr).toBe(`port ${port} on 127.0.0.1 is in use: stop what holds it or choose another with --port\n`);
    expect(r.code).toBe(2);
  });

  it('a port that is not one is exit 2', async () => {
    p = testProject(PROJECT);
    const r = await p.run('docs', 'serve', '--port', '70000');
    expect(r.stderr).toMatch(/option '--port <n>' argument '70000' is invalid\. must be a port number, 0 to 65535/);
    expect(r.code).toBe(2);
  });

  it('without a generated site it says to run docs generate (exit 2)', async () => {
    p = testProject(PROJECT);
    const r = await p.run('docs', 'serve');
    expect(r.stderr).toBe('there is no documentation site in target/docs: run eider docs generate first\n');
    expect(r.code).toBe(2);
  });
});
