// Writes the lineage graph's harness page (for tests and the benchmark): index.html, data.js holding the
// graph data and options, and the bundled harness script from dist/docs/graph-harness/ (npm run build).
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GraphData } from './site/graph-types.js';
import type { ColumnLineage } from './site/types.js';

const HARNESS = join(dirname(fileURLToPath(import.meta.url)), '../../dist/docs/graph-harness/graph-harness.js');

export interface GraphPageOptions {
  readonly focus?: string;
  readonly columnLineage?: ColumnLineage;
  readonly maxNodes?: number;
}

/** The harness page in `dir`; returns the path of its index.html. */
export function writeGraphPage(dir: string, graph: GraphData, options: GraphPageOptions = {}): string {
  mkdirSync(dir, { recursive: true });
  copyFileSync(HARNESS, join(dir, 'graph-harness.js'));
  // JSON in a script: `<` escaped, so no data can end the script element.
  const json = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');
  writeFileSync(join(dir, 'data.js'), `window.EIDER_GRAPH = ${json(graph)};\nwindow.EIDER_GRAPH_OPTIONS = ${json(options)};\n`);
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html>\n<html><head><meta charset="utf-8"><title>eider lineage graph</title><style>html,body{margin:0;height:100%}#graph{height:100vh;padding:0 8px;box-sizing:border-box}</style></head>\n<body><div id="graph"></div><script src="data.js"></script><script src="graph-harness.js"></script></body></html>\n',
  );
  return join(dir, 'index.html');
}
