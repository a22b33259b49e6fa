// `npm run bench -- --only docs`: `eider docs generate` on the generated n-model project (built, so the site has
// types and history), the site's page weight, and in headless Chromium: opening the site, opening a model page, the
// first search (the minisearch index built in the browser from data.js) against loading a prebuilt index.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateProject } from './generate.js';

export interface DocsBenchResult {
  readonly models: number;
  readonly nodes: number;
  /** Whole CLI `eider docs generate`: catalog.json made first (absent), and present. */
  readonly firstMs: number[];
  readonly againMs: number[];
  readonly dataBytes: number;
  readonly appBytes: number;
  /** In Chromium: page load to the overview shown; a model page; the first search (index built) and a later one. */
  readonly openMs: number[];
  readonly pageMs: number[];
  readonly firstSearchMs: number[];
  readonly searchMs: number[];
  /** The prebuilt alternative: its JSON's size and loading it (MiniSearch.loadJSON) in the same page. */
  readonly prebuiltBytes: number;
  readonly loadPrebuiltMs: number[];
  readonly buildIndexMs: number[];
}

function run(bin: string, dir: string, ...args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`eider ${args.join(' ')}: ${r.stdout.slice(-2000)}${r.stderr}`);
  return performance.now() - t0;
}

export async function benchDocs(work: string, bin: string, n: number, repeat: number): Promise<DocsBenchResult> {
  const dir = join(work, `docs-${n}`);
  const { tests } = generateProject(dir, n, 'view', 100);
  run(bin, dir, 'build');
  const firstMs: number[] = [];
  const againMs: number[] = [];
  for (let i = 0; i < repeat; i++) {
    spawnSync('rm', ['-f', join(dir, 'target/catalog.json')]);
    firstMs.push(run(bin, dir, 'docs', 'generate'));
    againMs.push(run(bin, dir, 'docs', 'generate'));
  }
  const site = join(dir, 'target/docs');
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const main = createRequire(import.meta.url).resolve('minisearch');
  const minisearch = join(main.slice(0, main.lastIndexOf('/dist/')), 'dist/umd/index.js');
  const r = { openMs: [] as number[], pageMs: [] as number[], firstSearchMs: [] as number[], searchMs: [] as number[], loadPrebuiltMs: [] as number[], buildIndexMs: [] as number[], prebuiltBytes: 0 };
  try {
    for (let i = 0; i < repeat; i++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, bypassCSP: true }); // for the prebuilt index's library, added below
      const url = pathToFileURL(join(site, 'index.html')).href;
      let t0 = performance.now();
      await page.goto(url);
      await page.waitForSelector('main#page article');
      r.openMs.push(performance.now() - t0);
      t0 = performance.now();
      await page.evaluate(() => {
        const nodes = (window as unknown as { EIDER_DOCS: { nodes: Array<{ unique_id: string; layer: string }> } }).EIDER_DOCS.nodes;
        location.hash = `#!/model/${nodes.filter((n) => n.layer === 'marts')[7].unique_id}`;
      });
      await page.waitForSelector('article.node h1');
      r.pageMs.push(performance.now() - t0);
      const search = async (q: string) =>
        page.evaluate((query) => {
          const input = document.querySelector<HTMLInputElement>('#search')!;
          const t = performance.now();
          input.value = query;
          input.dispatchEvent(new Event('input'));
          return performance.now() - t;
        }, q);
      r.firstSearchMs.push(await search('synthetic marts 300'));
      r.searchMs.push(await search('int_02'));
      // The prebuilt alternative, measured in the same page with the same library and options.
      await page.addScriptTag({ path: minisearch });
      const pre = await page.evaluate(() => {
        type MS = { addAll(d: unknown[]): void; toJSON(): unknown };
        type Ctor = { new (o: unknown): MS; loadJSON(json: string, o: unknown): MS };
        const MiniSearch = (window as unknown as { MiniSearch: Ctor }).MiniSearch;
        const nodes = (window as unknown as { EIDER_DOCS: { nodes: Array<{ name: string; description: string; tags: string[]; columns: Array<{ name: string; description: string }> }> } }).EIDER_DOCS.nodes;
        const options = { fields: ['name', 'description', 'columns', 'tags'], tokenize: (text: string) => text.split(/[^\p{L}\p{N}]+/u).filter(Boolean) };
        let t = performance.now();
        const index = new MiniSearch(options);
        index.addAll(nodes.map((n, id) => ({ id, name: `${n.name} ${n.name.replace(/_/g, ' ')}`, description: n.description, columns: n.columns.map((c) => `${c.name} ${c.description}`).join(' '), tags: n.tags.join(' ') })));
        const build = performance.now() - t;
        const json = JSON.stringify(index);
        t = performance.now();
        MiniSearch.loadJSON(json, options);
        return { build, load: performance.now() - t, bytes: json.length };
      });
      r.buildIndexMs.push(pre.build);
      r.loadPrebuiltMs.push(pre.load);
      r.prebuiltBytes = pre.bytes;
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return {
    models: n,
    nodes: n + tests,
    firstMs,
    againMs,
    dataBytes: statSync(join(site, 'data.js')).size,
    appBytes: statSync(join(site, 'app.js')).size,
    ...r,
  };
}
