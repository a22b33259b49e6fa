import type { WarehouseState } from '../../adapter/adapter.js';
import type { Materialization, ModelNode, SeedNode } from '../../types.js';
import { ephemeral } from './ephemeral.js';
import { seed } from './seed.js';
import { table } from './table.js';
import { view } from './view.js';

/** The statements that build one node, in order. Pure: the same node and state give the same SQL. */
export type Materializer<N> = (node: N, state: WarehouseState) => string[];

/** One handler per kind: a new materialization does not compile until it is listed here. */
export const MATERIALIZERS: { readonly [K in Materialization]: Materializer<ModelNode> } & { readonly seed: Materializer<SeedNode> } = {
  view,
  table,
  ephemeral,
  seed,
};
