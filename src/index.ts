/** The programmatic API: the pipeline's stages, each usable on its own. */
export { findProjectRoot, loadProject, type ProjectFiles } from './project/load.js';
export { parseProject, type ProjectDef } from './project/parse.js';
export { compileProject } from './compile/compile.js';
export { Dag } from './graph/dag.js';
export { select } from './graph/select.js';
export { planRun, countQuery, type Plan, type PlanStep, type PlanMode } from './plan/plan.js';
export { execute } from './execute/execute.js';
export { DuckDbAdapter } from './adapter/duckdb.js';
export type { Adapter, Session, WarehouseState } from './adapter/adapter.js';
export { compileContext, type ProjectContext, type GlobalOptions } from './commands/context.js';
export { buildCommand } from './commands/build.js';
export { compileCommand } from './commands/compile.js';
export { main } from './cli/main.js';
export { UsageError, formatDiagnostic, type Diagnostic } from './errors.js';
export * from './types.js';
