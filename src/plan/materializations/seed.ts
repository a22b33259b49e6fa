import type { WarehouseState } from '../../adapter/adapter.js';
import { quoteLiteral, type SeedNode } from '../../types.js';
import { swapIn } from './table.js';

/** Reads the CSV with DuckDB's native reader (strict dialect, so a malformed file fails instead of loading as one column). */
export function seed(node: SeedNode, state: WarehouseState): string[] {
  return swapIn(node.relation, `select * from ${readCsv(node)}`, state);
}

export function readCsv(node: SeedNode): string {
  const opts = [`header = true`, `skip = 0`, `delim = ${quoteLiteral(node.delimiter ?? ',')}`, `quote = '"'`, `escape = '"'`, `strict_mode = true`];
  const types = Object.entries(node.columnTypes);
  if (types.length > 0) opts.push(`types = {${types.map(([c, t]) => `${quoteLiteral(c)}: ${quoteLiteral(t)}`).join(', ')}}`);
  return `read_csv(${quoteLiteral(node.path)}, ${opts.join(', ')})`;
}
