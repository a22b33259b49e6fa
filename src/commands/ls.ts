import { select } from '../graph/select.js';
import { usageError } from '../errors.js';
import { displayRelation } from '../types.js';
import { compileContext, nothingSelected, resultsFolder, type GlobalOptions, type SelectOptions } from './context.js';

export interface LsOptions extends GlobalOptions, SelectOptions {
  readonly output?: string;
  readonly resourceType?: string;
}

const OUTPUTS = ['name', 'path', 'json'];

/** `ls`: the selected nodes, in DAG order, as names, paths or JSON lines. */
export async function lsCommand(opts: LsOptions): Promise<number> {
  const output = opts.output ?? 'name';
  if (!OUTPUTS.includes(output)) throw usageError(`--output must be one of ${OUTPUTS.join(', ')}`);
  const { manifest, dag, reporter, selectMethods } = await compileContext(opts);
  const selected = select(manifest, dag, opts.select, opts.exclude, '--select', selectMethods);
  const listed = dag.order.filter((id) => selected.has(id) && (!opts.resourceType || manifest.nodes[id].kind === opts.resourceType));
  if (nothingSelected(opts, 'ls', listed.length, reporter)) return 0;
  for (const id of listed) {
    const n = manifest.nodes[id];
    if (output === 'name') reporter.line(n.kind === 'source' ? `source:${n.name}` : n.name);
    else if (output === 'path') reporter.line(n.origin.file);
    else {
      const rel = 'relation' in n && n.relation ? displayRelation(n.relation) : null;
      reporter.line(JSON.stringify({ unique_id: n.id, name: n.name, resource_type: n.kind, path: n.origin.file, relation: rel, tags: n.tags, depends_on: n.dependsOn, ...(n.kind === 'model' ? { materialized: n.materialized } : {}) }));
    }
  }
  return 0;
}
