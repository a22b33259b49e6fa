import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runCli } from '../test-support/project.js';

/** The docs site of the example project (VyaparBazaar, copied), built twice so there is history, in headless Chromium. */
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const artifacts = join(repo, 'test-artifacts');
let dir: string;
let browser: Browser;
let page: Page;
let site: string;
const requests: string[] = [];

// An XSS canary: a model whose description, column name and column description would run script if not escaped.
const CANARY_SQL = `select 1 as id, 'x' as "<script>window.__xss=2</script>"`;
const CANARY_YML = [
  'models:',
  '  - name: xss_canary',
  '    description: \'Canary <img src=x onerror="window.__xss=1"> and [a link](javascript:window.__xss=4)\'',
  '    columns:',
  '      - name: id',
  '        description: \'<script>window.__xss=3</script>\'',
  '',
].join('\n');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eider-docs-site-'));
  for (const part of ['project.yml', 'package.json', 'profiles', 'models', 'seeds', 'snapshots', 'tests', 'macros', 'data']) cpSync(join(repo, part), join(dir, part), { recursive: true });
  writeFileSync(join(dir, 'models/marts/xss_canary.sql'), CANARY_SQL);
  writeFileSync(join(dir, 'models/marts/xss_canary.yml'), CANARY_YML);
  for (let i = 0; i < 2; i++) expect((await runCli(dir, ['build'])).code).toBe(0);
  const gen = await runCli(dir, ['docs', 'generate']);
  expect(gen.stderr).toBe('');
  expect(gen.code).toBe(0);
  site = pathToFileURL(join(dir, 'target/docs/index.html')).href;
  mkdirSync(artifacts, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => requests.push(`pageerror: ${e.message}`));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(hash: string): Promise<void> {
  await page.goto(`${site}${hash}`);
  await page.waitForSelector('main#page article');
}

describe('the docs site of the example project', () => {
  it('shows the overview doc block and the layers', async () => {
    await open('');
    expect(await page.textContent('#overview h1')).toBe('VyaparBazaar');
    expect(await page.textContent('#overview')).toContain('The analytics of an Indian online marketplace');
    const layers = await page.$$eval('#layers tbody tr', (rows) => rows.map((r) => Array.from(r.children).map((c) => c.textContent)));
    expect(layers).toEqual(expect.arrayContaining([['staging', '11'], ['marts', '15'], ['seeds', '7'], ['sources', '11'], ['snapshots', '1'], ['ml', '3'], ['intermediate', '4']]));
    expect(await page.textContent('main')).toContain('Recent builds');
    expect(await page.$('#lineage')).not.toBeNull();
    await page.screenshot({ path: join(artifacts, 'docs-overview.png') });
  });

  it("shows a model's columns with DuckDB types, tests, the doc block, and the chart of its builds", async () => {
    await open('#!/model/model.fct_orders');
    expect(await page.textContent('h1')).toContain('fct_orders');
    const rows = await page.$$eval('#columns tbody tr', (trs) => trs.map((r) => Array.from(r.children).map((c) => c.textContent?.trim())));
    expect(rows[0][0]).toBe('order_id');
    expect(rows[0][1]).toBe('INTEGER');
    expect(rows[0][2]).toContain("The order's id, as the orders service assigns it");
    expect(rows[0][3]).toMatch(/not_null pass.*unique pass/);
    expect(rows.find((r) => r[0] === 'net_amount')?.[1]).toBe('DECIMAL(18,2)');
    expect(await page.$$eval('#history svg.chart rect.bar', (bars) => bars.length)).toBe(2);
    expect(await page.textContent('#file-path')).toBe('models/marts/core/fct_orders.sql');
    await page.screenshot({ path: join(artifacts, 'docs-model.png') });
    await page.click('button[data-tab="code"]');
    await page.waitForSelector('#compiled-sql'); // code/<n>.js is loaded when the tab opens
    expect(await page.$$eval('#compiled-sql .sql-keyword', (k) => k.length)).toBeGreaterThan(5);
    expect(await page.textContent('#raw-code')).toContain('{{');
  });

  it('clicks through to a parent from depends-on', async () => {
    await open('#!/model/model.stg_orders');
    const parents = await page.$$eval('#depends-on a', (as) => as.map((a) => a.textContent));
    expect(parents).toEqual(['source vyapar.orders']);
    await page.click('#depends-on a');
    await page.waitForFunction(() => document.querySelector('h1')?.textContent?.includes('vyapar.orders'));
    expect(page.url()).toContain('#!/source/source.vyapar.orders');
    expect(await page.textContent('#freshness')).toContain('1 day');
    expect(await page.$$eval('#used-by a', (as) => as.map((a) => a.textContent))).toContain('model stg_orders');
  });

  it('searches names, columns and descriptions, with the keyboard', async () => {
    await open('');
    await page.fill('#search', 'daily sales');
    const hits = await page.$$eval('#search-results a', (as) => as.map((a) => a.textContent));
    expect(hits[0]).toMatch(/mart_daily_sales/);
    await page.fill('#search', 'payment_method');
    expect(await page.$$eval('#search-results a', (as) => as.map((a) => a.textContent))).toEqual(expect.arrayContaining([expect.stringMatching(/fct_orders/)]));
    await page.fill('#search', 'dim_cust');
    await page.screenshot({ path: join(artifacts, 'docs-search.png') });
    await page.press('#search', 'Enter');
    await page.waitForFunction(() => location.hash === '#!/model/model.dim_customers');
    expect(await page.textContent('h1')).toContain('dim_customers');
  });

  it("follows a column's lineage to its upstream column", async () => {
    await open('#!/model/model.fct_orders');
    const row = page.locator('#column-lineage tr[data-lineage-column="order_id"]');
    expect(await row.textContent()).toContain('stg_orders.order_id');
    await row.locator('a', { hasText: 'stg_orders' }).first().click();
    await page.waitForFunction(() => location.hash.startsWith('#!/model/model.stg_orders?column=order_id'));
    expect(await page.getAttribute('tr[data-column="order_id"]', 'class')).toContain('marked');
  });

  it("shows the model's lineage graph and opens a parent's page from it", async () => {
    await open('#!/model/model.fct_orders');
    await page.click('button[data-tab="lineage"]');
    await page.waitForSelector('#lineage .eg-node.eg-focus');
    expect(await page.getAttribute('#lineage .eg-node.eg-focus', 'data-id')).toBe('model.fct_orders');
    const shown = await page.$$eval('#lineage .eg-node', (els) => els.map((e) => e.getAttribute('data-id')));
    expect(shown).toEqual(expect.arrayContaining(['model.stg_orders', 'model.mart_daily_sales']));
    await page.screenshot({ path: join(artifacts, 'docs-lineage.png') });
    await page.click('#lineage .eg-node[data-id="model.stg_orders"]');
    await page.waitForFunction(() => location.hash === '#!/model/model.stg_orders');
    expect(await page.textContent('h1')).toContain('stg_orders');
  });

  it('shows markup in descriptions and names as text and runs none of it', async () => {
    await open('#!/model/model.xss_canary');
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.textContent('#description')).toContain('Canary <img src=x onerror="window.__xss=1"> and a link');
    expect(await page.$$('#description img')).toHaveLength(0);
    expect(await page.$$eval('#description a', (as) => as.map((a) => a.getAttribute('href')))).toEqual([]);
    const cells = await page.$$eval('#columns tbody td', (tds) => tds.map((c) => c.textContent));
    expect(cells).toContain('<script>window.__xss=2</script>');
    expect(cells).toContain('<script>window.__xss=3</script>');
    expect(await page.$$('main script')).toHaveLength(0);
    await page.click('#search');
    await page.fill('#search', 'canary');
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    await page.screenshot({ path: join(artifacts, 'docs-xss-canary.png') });
  });

  it('made no request other than file://', () => {
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
  });
});
