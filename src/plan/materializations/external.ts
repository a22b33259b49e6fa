import { dirname } from 'node:path';
import { relationKey, type WarehouseState } from '../../adapter/adapter.js';
import { quoteIdent, quoteLiteral, quoteRelation, type ModelNode } from '../../types.js';
import type { Statement } from './index.js';

const READERS = { parquet: 'read_parquet', csv: 'read_csv_auto', json: 'read_json_auto' } as const;

/**
 * Writes the model's rows with COPY beside the final path, then renames them into place (a file is
 * replaced atomically; a partitioned folder is swapped by two renames), and points a view at the files.
 */
export function external(node: ModelNode, state: WarehouseState): Statement[] {
  const ext = node.external!;
  const staged = `${ext.path}.eider-new`;
  const options = [`format ${ext.format}`, ...(ext.partitionBy.length > 0 ? [`partition_by (${ext.partitionBy.map(quoteIdent).join(', ')})`, 'overwrite_or_ignore true'] : [])];
  const files = ext.partitionBy.length > 0 ? `${ext.path}/**/*.${ext.format}` : ext.path;
  const read = `${READERS[ext.format]}(${quoteLiteral(files)}${ext.partitionBy.length > 0 ? ', hive_partitioning = true' : ''})`;
  const existing = state.relations.get(relationKey(node.relation));
  return [
    { kind: 'file', op: 'prepare', path: dirname(ext.path), staged },
    `copy (\n${node.sql}\n) to ${quoteLiteral(staged)} (${options.join(', ')})`,
    { kind: 'file', op: 'replace', path: ext.path, staged },
    ...(existing === 'table' ? ['begin transaction', `drop table if exists ${quoteRelation(node.relation)}`] : []),
    `create or replace view ${quoteRelation(node.relation)} as select * from ${read}`,
    ...(existing === 'table' ? ['commit'] : []),
  ];
}
