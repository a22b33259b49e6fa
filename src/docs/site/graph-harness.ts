// A page to develop and test the lineage graph alone (tests and the benchmark; not part of the site):
// graph-harness.html loads data.js, which sets window.EIDER_GRAPH (and EIDER_GRAPH_OPTIONS), then this script.
import type { GraphData } from './graph-types.js';
import { mountLineage, type LineageGraph } from './graph.js';
import type { ColumnLineage } from './types.js';

declare global {
  interface Window {
    EIDER_GRAPH?: GraphData;
    EIDER_GRAPH_OPTIONS?: { focus?: string; columnLineage?: ColumnLineage; maxNodes?: number };
    /** For tests: the mounted graph, and the ids onOpen was called with. */
    eiderGraph?: LineageGraph;
    opened: string[];
  }
}

window.opened = [];
const el = document.getElementById('graph')!;
if (window.EIDER_GRAPH) {
  const t0 = performance.now();
  window.eiderGraph = mountLineage(el, window.EIDER_GRAPH, { ...window.EIDER_GRAPH_OPTIONS, onOpen: (id) => window.opened.push(id) });
  el.dataset.mountMs = String(performance.now() - t0);
  // …and to the next frame painted.
  requestAnimationFrame(() =>
    setTimeout(() => {
      el.dataset.paintMs = String(performance.now() - t0);
      el.dataset.loadMs = String(performance.now()); // since the page's navigation began: data.js and the script parsed too
    }),
  );
} else el.textContent = 'no graph data (window.EIDER_GRAPH)';
