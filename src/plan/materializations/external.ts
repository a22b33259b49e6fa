import { dirname } from 'node:path';
import { relationKey, type WarehouseState } from '../../adapter/adapter.js';
import { quoteIdent, quoteLiteral, quoteRelation, type ModelNode } from '../../types.js';
import type { PlanOptions, Statement } from './index.js';
import { view as viewModel } from './view.js';

const READERS = { parquet: 'read_parquet', csv: 'read_csv_auto', json: 'read_json_auto' } as const;

/**
 * Writes the model's rows with COPY beside the final path, then renames them into place (a file is
 * replaced atomically; a partitioned folder is swapped by two renames), and points a view at the files.
 * In a swap build the rename waits for the publish.
 */
export function external(node: ModelNode, state: WarehouseState, opts: PlanOptions): Statement[] {
  // --empty writes no file: a view of the (zero-row) query gives children the model's columns.
  if (opts.empty) return viewModel(node, state);
  const ext = node.external!;
  const staged = `${ext.path}.eider-new`;
  const options = [`format ${ext.format}`, ...(ext.partitionBy.length > 0 ? [`partition_by (${ext.partitionBy.map(quoteIdent).join(', ')})`, 'overwrite_or_ignore true'] : [])];
  const read = (path: string) => {
    const files = ext.partitionBy.length > 0 ? `${path}/**/*.${ext.format}` : path;
    return `${READERS[ext.format]}(${quoteLiteral(files)}${ext.partitionBy.length > 0 ? ', hive_partitioning = true' : ''})`;
  };
  const view = (path: string) => `create or replace view ${quoteRelation(node.relation)} as select * from ${read(path)}`;
  const existing = state.relations.get(relationKey(node.relation));
  // In a swap build the release's view reads the staged files until the publish moves them into place.
  const move: Statement = opts.deferFiles ? { kind: 'file', op: 'publish', path: ext.path, staged, view: view(ext.path) } : { kind: 'file', op: 'replace', path: ext.path, staged };
  return [
    { kind: 'file', op: 'prepare', path: dirname(ext.path), staged },
    `copy (\n${node.sql}\n) to ${quoteLiteral(staged)} (${options.join(', ')})`,
    move,
    ...(existing === 'table' ? ['begin transaction', `drop table if exists ${quoteRelation(node.relation)}`] : []),
    view(opts.deferFiles ? staged : ext.path),
    ...(existing === 'table' ? ['commit'] : []),
  ];
}
