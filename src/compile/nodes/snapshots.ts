import type { Diagnostic } from '../../errors.js';
import type { ModelNode } from '../../types.js';
import { columnList } from '../fingerprint.js';

/** A snapshot is a model with `materialized: snapshot` (files under snapshots/): how its history is kept. */
export function snapshotOf(config: Readonly<Record<string, unknown>>, runStartedAt: string): ModelNode['snapshot'] {
  if (config.materialized !== 'snapshot') return undefined;
  return {
    strategy: (config.strategy as 'timestamp' | 'check') ?? 'timestamp',
    uniqueKey: columnList(config.unique_key),
    updatedAt: config.updated_at as string | undefined,
    checkCols: columnList(config.check_cols),
    invalidateHardDeletes: config.invalidate_hard_deletes === true,
    runStartedAt,
  };
}

/** What a snapshot's strategy needs from its config. */
export function checkSnapshot(model: ModelNode, diagnostics: Diagnostic[]): void {
  const snap = model.snapshot;
  if (!snap) return;
  const fail = (message: string) => diagnostics.push({ severity: 'error', file: model.origin.file, line: model.origin.line, message: `snapshot "${model.name}": ${message}` });
  if (snap.uniqueKey.length === 0) fail('needs a unique_key');
  if (snap.strategy === 'timestamp' && !snap.updatedAt) fail('the timestamp strategy needs updated_at (the column that changes when a row does)');
  if (snap.strategy === 'check' && snap.checkCols.length === 0) fail('the check strategy needs check_cols: the list of columns whose change makes a new version');
}
