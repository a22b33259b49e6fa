// Builds the docs site's browser code: src/docs/site/app.ts (and what it imports, e.g. the engine's own
// selector grammar and the libraries it uses) bundled by esbuild into one classic script, so the site opens
// from the file system (file:// pages cannot load ES modules) and makes no network request.
// Static files beside it (*.html, *.css) are copied as they are. Output: dist/docs/site/.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'src/docs/site');
const to = join(root, 'dist/docs/site');
mkdirSync(to, { recursive: true });
await build({
  entryPoints: [join(from, 'app.ts')],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  legalComments: 'linked',
  outfile: join(to, 'app.js'),
  logLevel: 'warning',
});
for (const file of readdirSync(from)) if (/\.(html|css)$/.test(file)) copyFileSync(join(from, file), join(to, file));

// The lineage graph's development and test page (not part of the site): dist/docs/graph-harness/graph-harness.js,
// loaded by the page src/docs/graph-page.ts writes.
await build({
  entryPoints: [join(from, 'graph-harness.ts')],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  legalComments: 'none',
  outfile: join(root, 'dist/docs/graph-harness/graph-harness.js'),
  logLevel: 'warning',
});
