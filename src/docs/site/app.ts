// The docs site's browser entry point (bundled by scripts/build-site.mjs into dist/docs/site/app.js).
// Placeholder until the site is built: it only shows that the data loaded.
import type { DocsData } from './types.js';

declare global {
  interface Window { EIDER_DOCS?: DocsData }
}

const data = window.EIDER_DOCS;
document.body.textContent = data ? `${data.project.name}: ${data.nodes.length} nodes` : 'eider docs: no data (run eider docs generate)';
