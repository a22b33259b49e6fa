import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeFolder } from '../../folders.js';
import type { Severity } from './config.js';

/** An alert that fired and has not resolved yet: one per condition (rule + target + node). */
export interface OpenAlert {
  readonly key: string;
  readonly rule: string;
  readonly severity: Severity;
  readonly target: string;
  readonly node_id?: string;
  readonly message: string;
  readonly opened_at: string;
  /** When a channel last took it; absent while every delivery failed (the next run tries again). */
  readonly last_sent_at?: string;
}

/** `target/alerts/<target>.json`: what `eider status` reads as the open alerts. */
export interface AlertState {
  readonly schema_version: 1;
  readonly open: readonly OpenAlert[];
}

export function alertStatePath(targetDir: string, target: string): string {
  return join(targetDir, 'alerts', `${target}.json`);
}

/** The target's open alerts; none when the file is missing or unreadable (a broken file is replaced on the next write). */
export function readAlertState(targetDir: string, target: string): AlertState {
  const path = alertStatePath(targetDir, target);
  if (!existsSync(path)) return { schema_version: 1, open: [] };
  try {
    const json = JSON.parse(readFileSync(path, 'utf8')) as AlertState;
    return json.schema_version === 1 && Array.isArray(json.open) ? json : { schema_version: 1, open: [] };
  } catch {
    return { schema_version: 1, open: [] };
  }
}

/** Written whole or not at all: a temporary file renamed over the old one. */
export function writeAlertState(targetDir: string, target: string, state: AlertState): void {
  const path = alertStatePath(targetDir, target);
  makeFolder(join(targetDir, 'alerts'));
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temp, path);
}
