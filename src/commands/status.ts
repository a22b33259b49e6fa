import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { databaseKind } from '../adapter/databases.js';
import { usageError } from '../errors.js';
import { previousFire, projectSchedules } from '../operate/schedules.js';
import { formatStatus, neverBuilt, readOpenAlerts, readStatus, type ScheduleLike } from '../operate/status.js';
import { shownPath } from '../publish/in-place.js';
import { openToRead } from '../publish/read.js';
import { EIDER_VERSION } from '../version.js';
import { readRelations } from './catalog.js';
import { compileContext, type GlobalOptions } from './context.js';

export interface StatusOptions extends GlobalOptions {
  readonly format?: 'text' | 'json';
  readonly days?: number;
}

/**
 * `status`: the target's health from its file, opened read-only (never blocking a reader or a prod build; an
 * in-place build writing the file is waited for, as `show` does), and the open alerts of target/alerts/.
 * A target never built is a status of its own (exit 0), not an error.
 */
export async function statusCommand(opts: StatusOptions): Promise<number> {
  const { def, manifest, dag, artifacts, reporter, selectMethods } = await compileContext(opts);
  const target = manifest.target;
  if (databaseKind(target.path) !== 'file') throw usageError(`target "${target.name}" is not a DuckDB file (${target.path === ':memory:' ? ':memory:' : 'an attached database'}): eider status reads a target's file`, target.lines?.file ?? 'profiles/profiles.yml', target.lines?.path);
  const now = new Date();
  const shown = shownPath(target.path, target);
  const alerts = readOpenAlerts(artifacts.dir, target.name, relative(process.cwd(), join(artifacts.dir, 'alerts', `${target.name}.json`)));
  const schedules: ScheduleLike[] = projectSchedules(def).map((s) => ({ ...s, previousFire: (before: Date) => previousFire(s, before) }));
  let doc: Record<string, unknown>;
  if (!existsSync(target.path)) doc = neverBuilt(target.name, shown, now, EIDER_VERSION, alerts);
  else {
    const adapter = await openToRead(target, (line) => reporter.errorLine(line));
    try {
      const session = adapter.sessions[0];
      const relations = await readRelations(session);
      doc = await readStatus({ session, manifest, dag, path: target.path, shownPath: shown, relations, schedules: schedules.filter((s) => s.target === undefined || s.target === target.name), alerts, days: opts.days ?? 7, now, methods: selectMethods, eiderVersion: EIDER_VERSION });
    } finally {
      await adapter.close();
    }
  }
  if (opts.format === 'json') reporter.line(JSON.stringify(doc, null, 2));
  else for (const l of formatStatus(doc)) reporter.line(l);
  return 0;
}
