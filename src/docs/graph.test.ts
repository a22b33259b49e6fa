import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runCli, testProject, type CliResult, type TestProject } from '../test-support/project.js';
import { graphData, type ManifestJson } from './graph-data.js';
import { writeGraphPage, type GraphPageOptions } from './graph-page.js';
import type { ColumnLineage } from './site/types.js';

/** The lineage graph in real Chromium, on graph data made from the real CLI's manifest.json. */
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const artifacts = join(repo, 'test-artifacts');
let dir: string;
let pages: string;
let browser: Browser;
let manifest: ManifestJson & { parent_map: Record<string, string[]>; child_map: Record<string, string[]> };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eider-graph-'));
  pages = mkdtempSync(join(tmpdir(), 'eider-graph-pages-'));
  mkdirSync(artifacts, { recursive: true });
  for (const part of ['project.yml', 'package.json', 'profiles', 'models', 'seeds', 'snapshots', 'tests', 'macros', 'data']) cpSync(join(repo, part), join(dir, part), { recursive: true });
  const compile = await runCli(dir, ['compile']);
  expect(compile.stderr).toBe('');
  manifest = JSON.parse(readFileSync(join(dir, 'target/manifest.json'), 'utf8'));
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(pages, { recursive: true, force: true });
});

let pageCount = 0;
async function open(m: ManifestJson, options: GraphPageOptions = {}): Promise<Page> {
  const file = writeGraphPage(join(pages, String(pageCount++)), graphData(m), options);
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pathToFileURL(file).href);
  expect(errors).toEqual([]);
  return page;
}

const shownIds = (page: Page) => page.$$eval('.eg-node', (els) => els.map((e) => e.getAttribute('data-id')!).sort());

/** Ancestors and descendants within depth in manifest.json's own maps, tests left out. */
function lineage(id: string, up: number, down: number): string[] {
  const isTest = (n: string) => ['test', 'unit_test'].includes(manifest.nodes[n].resource_type);
  const out = new Set([id]);
  for (const [depth, map] of [[up, manifest.parent_map], [down, manifest.child_map]] as const) {
    let frontier = [id];
    for (let d = 0; d < depth && frontier.length > 0; d++) {
      frontier = frontier.flatMap((n) => map[n]).filter((n) => !isTest(n) && !out.has(n));
      for (const n of frontier) out.add(n);
    }
  }
  return [...out].sort();
}

describe('the lineage graph', () => {
  it('focuses a node with its upstream and downstream to the chosen depth, and opens a node on click', async () => {
    const page = await open(manifest, { focus: 'model.fct_orders' });
    expect(await shownIds(page)).toEqual(lineage('model.fct_orders', 2, 2));
    expect(await page.getAttribute('.eg-node.eg-focus', 'data-id')).toBe('model.fct_orders');
    await page.screenshot({ path: join(artifacts, 'lineage-fct_orders-2-2.png') });

    await page.selectOption('select[title="Upstream depth"]', '1');
    await page.selectOption('select[title="Downstream depth"]', '3');
    expect(await shownIds(page)).toEqual(lineage('model.fct_orders', 1, 3));
    await page.selectOption('select[title="Upstream depth"]', 'Infinity');
    await page.selectOption('select[title="Downstream depth"]', '0');
    const all = lineage('model.fct_orders', Infinity, 0);
    expect(all).toContain('seed.raw_orders');
    expect(await shownIds(page)).toEqual(all);
    await page.screenshot({ path: join(artifacts, 'lineage-fct_orders-all-0.png') });

    expect(manifest.parent_map['model.fct_orders']).toContain('model.stg_orders');
    await page.click('.eg-node[data-id="model.stg_orders"]');
    expect(await page.evaluate(() => (window as unknown as { opened: string[] }).opened)).toEqual(['model.stg_orders']);
    // Shift-click focuses the node instead.
    await page.click('.eg-node[data-id="model.stg_orders"]', { modifiers: ['Shift'] });
    expect(await page.getAttribute('.eg-node.eg-focus', 'data-id')).toBe('model.stg_orders');
    expect(await shownIds(page)).toEqual(lineage('model.stg_orders', Infinity, 0));
    await page.close();
  });

  it('selects exactly what eider ls selects, with the engine messages for bad selectors', async () => {
    // Every node one by one (a view of more than 100 is grouped otherwise: @stg_orders with its tests has 104).
    const page = await open(manifest, { maxNodes: 500 });
    await page.check('input[title="Show data tests and unit tests"]');
    const cases: Array<[string, string[]]> = [
      ['+fct_orders', ['-s', '+fct_orders']],
      ['stg_orders+', ['-s', 'stg_orders+']],
      ['1+fct_orders', ['-s', '1+fct_orders']],
      ['fct_orders+1', ['-s', 'fct_orders+1']],
      ['@stg_orders', ['-s', '@stg_orders']],
      ['tag:daily', ['-s', 'tag:daily']],
      ['path:models/staging', ['-s', 'path:models/staging']],
      ['config.materialized:view', ['-s', 'config.materialized:view']],
      ['source:*', ['-s', 'source:*']],
      ['resource_type:seed test_type:singular', ['-s', 'resource_type:seed test_type:singular']],
      ['+fct_orders,tag:hourly', ['-s', '+fct_orders,tag:hourly']],
      ['stg_* fqn:dim_*', ['-s', 'stg_* fqn:dim_*']],
      ['test_type:unit', ['-s', 'test_type:unit']],
      ['fct_orders+ --exclude mart_daily_sales tag:hourly', ['-s', 'fct_orders+', '--exclude', 'mart_daily_sales tag:hourly']],
      ['fct_orders,stg_orders', ['-s', 'fct_orders,stg_orders']],
      ['--exclude=tag:hourly', ['--exclude=tag:hourly']],
    ];
    // The CLI's answers first, four processes at a time.
    const answers: CliResult[] = [];
    for (let i = 0; i < cases.length; i += 4) answers.push(...(await Promise.all(cases.slice(i, i + 4).map(([, args]) => runCli(dir, ['ls', '-o', 'json', ...args])))));
    for (const [i, [box]] of cases.entries()) {
      const ls = answers[i];
      expect(ls.code, box).toBe(0);
      const expected = ls.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l).unique_id as string).sort();
      await page.fill('input[name="selector"]', box);
      await page.press('input[name="selector"]', 'Enter');
      expect(await shownIds(page), box).toEqual(expected);
      expect(await page.textContent('.eg-msg'), box).toContain(expected.length === 0 ? 'matched nothing' : `${expected.length} selected`);
    }
    await page.fill('input[name="selector"]', '+fct_orders,tag:daily');
    await page.press('input[name="selector"]', 'Enter');
    await page.screenshot({ path: join(artifacts, 'lineage-selector.png') });

    const bads = ['fct_order', 'tag:', 'colour:red', '+@fct_orders', 'test_type:other'];
    const badAnswers = await Promise.all(bads.map((bad) => runCli(dir, ['ls', '-s', bad])));
    for (const [i, bad] of bads.entries()) {
      const ls = badAnswers[i];
      expect(ls.code, bad).toBe(2);
      await page.fill('input[name="selector"]', bad);
      await page.press('input[name="selector"]', 'Enter');
      expect(await page.textContent('.eg-msg.eg-error'), bad).toBe(ls.stderr.trim());
    }
    await page.fill('input[name="selector"]', 'state:modified+');
    await page.press('input[name="selector"]', 'Enter');
    expect(await page.textContent('.eg-msg.eg-error')).toBe('--select: state:modified compares with an earlier run\'s manifest (--state DIR), which the docs site does not have: use eider ls -s state:modified --state DIR');
    await page.fill('input[name="selector"]', 'result:error');
    await page.press('input[name="selector"]', 'Enter');
    expect(await page.textContent('.eg-msg.eg-error')).toContain('result:error reads the last run\'s results, which the docs site does not have');
    await page.close();
  }, 300_000); // 21 runs of eider ls

  it('groups a view larger than the limit by layer or folder, with counts, and expands a group', async () => {
    const page = await open(manifest, { maxNodes: 3 });
    const nonTests = Object.values(manifest.nodes).filter((n) => !['test', 'unit_test'].includes(n.resource_type));
    const staging = nonTests.filter((n) => n.resource_type === 'model' && n.original_file_path.startsWith('models/staging/')).map((n) => n.unique_id).sort();
    const groups = () => page.$$eval('.eg-group', (els) => els.map((e) => [e.getAttribute('data-group')!, Number(/([\d,]+) nodes/.exec(e.textContent!)![1].replace(/,/g, ''))] as [string, number]));
    expect(await shownIds(page)).toEqual([]);
    const layers = await groups();
    expect(layers.map(([g]) => g)).toEqual(['layer:intermediate', 'layer:marts', 'layer:ml', 'layer:seeds', 'layer:snapshots', 'layer:sources', 'layer:staging']);
    expect(layers.reduce((s, [, n]) => s + n, 0)).toBe(nonTests.length);
    expect(Object.fromEntries(layers)['layer:staging']).toBe(staging.length);
    expect(await page.$$eval('.eg-edge', (els) => els.length)).toBeGreaterThan(0);
    await page.screenshot({ path: join(artifacts, 'lineage-grouped.png') });

    // staging (one folder, 11 models) splits into ranges of names of at most 3; a range expands into its nodes.
    await page.click('.eg-group[data-group="layer:staging"]');
    expect((await groups()).filter(([g]) => g.startsWith('layer:staging'))).toEqual([['layer:staging#0', 3], ['layer:staging#1', 3], ['layer:staging#2', 3], ['layer:staging#3', 2]]);
    await page.click('.eg-group[data-group="layer:staging#0"]');
    expect(await shownIds(page)).toEqual(staging.slice(0, 3));
    // marts (14 models in three folders) splits into its folders.
    await page.click('.eg-group[data-group="layer:marts"]');
    expect((await groups()).map(([g]) => g).filter((g) => g.startsWith('layer:marts'))).toEqual(['layer:marts>models/marts', 'layer:marts>models/marts/core', 'layer:marts>models/marts/exports']);
    await page.screenshot({ path: join(artifacts, 'lineage-grouped-expanded.png') });

    await page.selectOption('select[title="Group large views by"]', 'folder');
    const folders = await groups();
    expect(folders.map(([g]) => g)).toContain('folder:models/marts/core');
    expect(folders.reduce((s, [, n]) => s + n, 0)).toBe(nonTests.length);

    // A selection larger than the limit is grouped the same way: the groups hold exactly what it selects.
    await page.fill('input[name="selector"]', '+fct_orders');
    await page.press('input[name="selector"]', 'Enter');
    const selected = lineage('model.fct_orders', Infinity, 0);
    expect(await shownIds(page)).toEqual([]);
    expect((await groups()).reduce((s, [, n]) => s + n, 0)).toBe(selected.length);
    // Sources group by their source: the four of vyapar above fct_orders, in two ranges of names.
    const vyapar = selected.filter((id) => id.startsWith('source.vyapar.'));
    expect(vyapar.length).toBe(4);
    await page.click('.eg-group[data-group="folder:source:vyapar"]');
    await page.click('.eg-group[data-group="folder:source:vyapar#0"]');
    expect(await shownIds(page)).toEqual(vyapar.slice(0, 2));
    await page.close();
  });

  it('follows a column upstream across nodes, showing the involved columns', async () => {
    const columnLineage: ColumnLineage = {
      'model.fct_orders': [
        { column: 'order_id', sources: [{ node: 'model.stg_orders', column: 'order_id' }] },
        { column: 'net_amount', sources: [{ node: 'model.int_order_totals', column: 'net_amount' }] },
        { column: 'payment_method', sources: [], unknown: 'a function eider cannot trace' },
      ],
      'model.stg_orders': [{ column: 'order_id', sources: [{ node: 'source.vyapar.orders', column: 'order_id' }] }],
      'source.vyapar.orders': [{ column: 'order_id', sources: [{ node: 'seed.raw_orders', column: 'order_id' }] }],
    };
    const page = await open(manifest, { focus: 'model.fct_orders', columnLineage });
    const focusedColumns = await page.$$eval('.eg-node.eg-focus .eg-col', (els) => els.map((e) => e.getAttribute('data-column')));
    expect(focusedColumns).toEqual(['order_id', 'net_amount', 'payment_method']);
    await page.click('.eg-node.eg-focus .eg-col[data-column="order_id"]');
    const on = await page.$$eval('.eg-col.eg-on', (els) => els.map((e) => `${e.closest('.eg-node')!.getAttribute('data-id')}.${e.getAttribute('data-column')}`).sort());
    // seed.raw_orders is 3 steps up, past the depth of 2: the chain brings it in.
    expect(on).toEqual(['model.fct_orders.order_id', 'model.stg_orders.order_id', 'seed.raw_orders.order_id', 'source.vyapar.orders.order_id']);
    expect(await page.$$eval('.eg-cedge', (els) => els.length)).toBe(3);
    expect(await page.getAttribute('.eg-col[data-column="payment_method"]', 'class')).toContain('eg-unknown');
    await page.screenshot({ path: join(artifacts, 'lineage-column.png') });
    await page.close();
  });
});

describe('the lineage graph escapes what the project says', () => {
  let p: TestProject;
  beforeAll(async () => {
    p = testProject({
      'models/base.sql': 'select 1 as id\n',
      'models/canary.sql': 'select * from {{ref "base"}}\n',
      'models/props.yml': `models:\n  - name: canary\n    description: '<img src=x onerror="window.__xss=1"> described'\n    config:\n      tags: ['<img src=x onerror="window.__xss=1">', 'plain']\n    columns:\n      - name: '<img src=x onerror="window.__xss=1">'\n`,
    });
    const r = await p.run('compile');
    expect(r.stderr).toBe('');
  });
  afterAll(() => p.remove());

  it('shows a tag and a column name holding markup as text, and runs nothing', async () => {
    const m = JSON.parse(readFileSync(join(p.dir, 'target/manifest.json'), 'utf8')) as ManifestJson;
    const evil = '<img src=x onerror="window.__xss=1">';
    expect(m.nodes['model.canary'].tags).toContain(evil);
    const page = await open(m, { focus: 'model.canary', columnLineage: { 'model.canary': [{ column: evil, sources: [{ node: 'model.base', column: evil }] }] } });
    await page.click(`.eg-col`);
    expect(await page.$$eval('.eg-col.eg-on', (els) => els.map((e) => [e.getAttribute('data-column'), e.querySelector('title')!.textContent]))).toEqual([[evil, evil], [evil, evil]]);
    expect(await page.textContent('.eg-node[data-id="model.canary"] title')).toContain(`tags: ${evil}, plain`);
    await page.fill('input[name="selector"]', 'tag:plain');
    await page.press('input[name="selector"]', 'Enter');
    expect(await shownIds(page)).toEqual(['model.canary']);
    expect(await page.evaluate(() => ({ xss: (window as unknown as { __xss?: number }).__xss, imgs: document.querySelectorAll('img').length }))).toEqual({ xss: undefined, imgs: 0 });
    await page.close();
  });
});
