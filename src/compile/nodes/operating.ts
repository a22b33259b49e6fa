import type { Diagnostic } from '../../errors.js';
import { retentionProblem } from '../../operate/retention.js';
import { subjectColumns } from '../../operate/subjects.js';
import type { ModelNode, Origin, SeedNode } from '../../types.js';

/** A node's `retention` and subject keys (`meta.subject_key`, columns' `meta.erase`): each mistake at the line that sets it. */
export function checkOperating(node: ModelNode | SeedNode, at: (key: 'retention' | 'meta') => Origin, diagnostics: Diagnostic[]): void {
  const what = node.kind === 'seed' ? 'seed' : node.materialized === 'snapshot' ? 'snapshot' : 'model';
  const push = (origin: Origin, message: string) => diagnostics.push({ severity: 'error', file: origin.file, line: origin.line, message: `${what} "${node.name}": ${message}` });
  const retention = node.retention && retentionProblem(node.retention, node.kind === 'model' ? node.materialized : undefined);
  if (retention) push(at('retention'), retention);
  for (const p of subjectColumns(node).problems) push(at('meta'), p);
}
