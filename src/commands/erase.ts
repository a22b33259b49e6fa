import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { databaseKind } from '../adapter/databases.js';
import type { Session } from '../adapter/adapter.js';
import { didYouMean, usageError } from '../errors.js';
import { countErasure, eraseInFile, erasedRows, type Erasure, type RelationOutcome } from '../operate/erase.js';
import { ownedRelations, relationsCarrying, subjectKeys, type ErasedRelation } from '../operate/subjects.js';
import { compactAfterBuild } from '../publish/compact.js';
import { gitCommit, HISTORY_DDL, historyInserts, releaseId } from '../publish/history.js';
import { checkTargetFolder, openForBuild, openInPlace, shownPath } from '../publish/in-place.js';
import { acquireLock } from '../publish/lock.js';
import { listReleases, releasesDir, SwapRelease } from '../publish/swap.js';
import type { Reporter } from '../report/reporter.js';
import type { Manifest, TargetDef } from '../types.js';
import { EIDER_VERSION } from '../version.js';
import { compileContext, type GlobalOptions } from './context.js';
import { formatCount } from '../report/numbers.js';

export interface EraseOptions extends GlobalOptions {
  /** `customer_id=42`: the subject key and its value. */
  readonly key?: string;
  readonly dryRun?: boolean;
}

/** Why an erased file is written fresh: a deleted row's bytes must not survive in the file's free blocks. */
const FRESH = 'erasure: written fresh';

/**
 * `erase --key customer_id=42`: parse the key → compile → the marked relations → lock → erase in a copy of the
 * release, record, publish it fresh (swap) or erase in place and rewrite the file fresh (dev) → rewrite every kept
 * release the same way → report. `--dry-run` only counts, on a read-only connection.
 */
export async function eraseCommand(opts: EraseOptions): Promise<number> {
  const { key, value } = parseKey(opts.key);
  const { manifest, reporter } = await compileContext(opts);
  const target = manifest.target;
  const tables = markedTables(manifest, key, reporter);
  checkTargetFile(target);
  if (tables.length === 0) {
    reporter.line(`Nothing to erase: only views, ephemeral or external models mark ${key}, and they keep no rows in ${target.name}; mark the tables, seeds or snapshots they read.`);
    return 0;
  }
  if (opts.dryRun) return dryRun(target, tables, key, value, ownedRelations(manifest), reporter);
  checkTargetFolder(target);
  const lock = acquireLock(target.path, 'eider erase');
  try {
    await erase(manifest, tables, { key, value, erasedAt: new Date().toISOString(), releaseId: releaseId(manifest) }, reporter);
    return 0;
  } finally {
    lock.release();
  }
}

/** The tables, seeds and snapshots that mark `key`; a key nothing marks is exit 2, listing the project's keys. */
function markedTables(m: Manifest, key: string, reporter: Reporter): ErasedRelation[] {
  const { tables, others } = relationsCarrying(m, key);
  if (tables.length + others.length === 0) {
    const known = subjectKeys(m);
    throw usageError(known.length === 0 ? `--key: no node marks a subject key (meta: {subject_key: ${key}}), so there is nothing to erase` : `--key: no node marks the subject key "${key}"${didYouMean(key, known)}; subject keys of this project: ${known.join(', ')}`);
  }
  for (const n of others) {
    if (n.kind === 'model' && n.materialized === 'external') reporter.errorLine(`warning: model "${n.name}" is external: its files are not erased; build it again to rewrite them`);
  }
  return tables;
}

/** `--dry-run`: counts on a read-only connection, without the lock, so it never waits for (or holds up) a build. */
async function dryRun(target: TargetDef, tables: readonly ErasedRelation[], key: string, value: string, owned: ReadonlySet<string>, reporter: Reporter): Promise<number> {
  const adapter = await openInPlace(target, 1, () => undefined, true);
  try {
    report(reporter, `Would erase ${key} from ${target.name} (--dry-run: nothing was changed):`, await countErasure(adapter.sessions[0], tables, value, { key, owned }), true);
    return 0;
  } finally {
    await adapter.close();
  }
}

/** Under the lock: the target (a new release, or in place), then its kept releases and stale WALs; what was done. */
async function erase(m: Manifest, tables: readonly ErasedRelation[], e: Erasure, reporter: Reporter): Promise<void> {
  const target = m.target;
  const warn = (w: string) => reporter.errorLine(`warning: ${w}`);
  const done = target.publish === 'swap' ? await eraseRelease(m, tables, e, warn) : await eraseInPlace(m, tables, e, warn);
  report(reporter, `Erased ${e.key} from ${target.name}:`, done);
  const changed = erasedRows(done) > 0;
  if (!changed) warn(`no row of ${target.name} carries that ${e.key}: nothing was erased, recorded or published (the value is compared as text, exactly)`);
  const kept = await rewriteKept(target, tables, e, ownedRelations(m), warn);
  const stale = removeStaleWals(target);
  if (changed && target.publish === 'swap') reporter.line(`Published release ${e.releaseId} to ${target.name}, written fresh.`);
  if (kept > 0) reporter.line(`Rewrote ${kept} kept release${kept === 1 ? '' : 's'} without the subject's rows (rollback still works).`);
  if (stale > 0) reporter.line(`Removed ${stale} stale WAL file${stale === 1 ? '' : 's'} moved aside by earlier builds.`);
  if (changed || kept > 0) reporter.line(`Recorded in eider.erasures as a salted sha256 of the value; later builds erase the subject again.`);
}

/** `customer_id=42` → the key (lower case) and the value (never echoed: it is personal data), both trimmed. */
export function parseKey(text: string | undefined): { key: string; value: string } {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.+)$/s.exec(text ?? '');
  const value = m?.[2].trim() ?? '';
  if (!m || value === '') throw usageError(`--key must be <subject key>=<value>, like --key customer_id=42`);
  return { key: m[1].toLowerCase(), value };
}

/** Erasure works on a local file that exists. */
function checkTargetFile(target: TargetDef): void {
  const where = target.lines?.file ?? 'profiles/profiles.yml';
  const kind = databaseKind(target.path);
  if (kind !== 'file') throw usageError(`target "${target.name}" is ${kind === 'memory' ? 'in memory' : kind === 'motherduck' ? 'a MotherDuck database' : 'a DuckLake catalog'}: eider erase works on a local DuckDB file`, where, target.lines?.path);
  if (!existsSync(target.path)) throw usageError(`target "${target.name}": its file ${shownPath(target.path, target)} does not exist, there is nothing to erase`, where, target.lines?.path);
}

/** A swap target: a new release, copied from the current one, erased, recorded and published fresh by rename. */
async function eraseRelease(m: Manifest, tables: readonly ErasedRelation[], e: Erasure, warn: (w: string) => void): Promise<RelationOutcome[]> {
  const release = await SwapRelease.start(m.target, warn);
  try {
    const s = release.adapter.sessions[0];
    const out = await eraseInFile(s, tables, e, true, ownedRelations(m));
    if (erasedRows(out) === 0) return out;
    await recordRun(s, m, e, 'published');
    await release.publish([], FRESH);
    return out;
  } finally {
    await release.discard();
  }
}

/** A dev target: erased in place under the lock (or in a copy when readers hold it), then written fresh. */
async function eraseInPlace(m: Manifest, tables: readonly ErasedRelation[], e: Erasure, warn: (w: string) => void): Promise<RelationOutcome[]> {
  const { adapter, copy } = await openForBuild(m.target, warn);
  let closed = false;
  try {
    const s = adapter.sessions[0];
    const out = await eraseInFile(s, tables, e, true, ownedRelations(m));
    if (erasedRows(out) === 0) return out;
    await recordRun(s, m, e, 'in_place');
    closed = true;
    if (copy) await copy.publish([], FRESH);
    else await compactAfterBuild(adapter, m.target, warn, FRESH);
    return out;
  } finally {
    if (copy) await copy.discard();
    else if (!closed) await adapter.close();
  }
}

/** The erasure in the target's run history, as a run of its own (`command: erase`, no nodes). */
async function recordRun(s: Session, m: Manifest, e: Erasure, status: 'published' | 'in_place'): Promise<void> {
  const run = { command: 'erase', startedAt: e.erasedAt, elapsedMs: Date.now() - Date.parse(e.erasedAt), results: [] };
  const record = { releaseId: e.releaseId, status, publishedAt: new Date().toISOString() } as const;
  await s.exec(['begin transaction', ...HISTORY_DDL, ...historyInserts(m, run, record, EIDER_VERSION, gitCommit(m.root)), 'commit'].join(';\n'));
}

/**
 * Every kept release (`.eider-releases/<file>/`) is rewritten the same way — copied, erased, recorded, written fresh
 * and renamed over its own name — so a rollback still finds it, and finds it without the subject. A reader holding
 * one keeps the file it opened; one without the subject's rows is left as it is. Returns how many were rewritten.
 */
async function rewriteKept(target: TargetDef, tables: readonly ErasedRelation[], e: Erasure, owned: ReadonlySet<string>, warn: (w: string) => void): Promise<number> {
  let rewritten = 0;
  for (const id of listReleases(target.path)) {
    const kept = await SwapRelease.start({ ...target, path: join(releasesDir(target.path), `${id}.duckdb`) }, warn, true);
    try {
      if (erasedRows(await eraseInFile(kept.adapter.sessions[0], tables, e, false, owned)) === 0) continue;
      await kept.publish([], FRESH);
      rewritten++;
    } finally {
      await kept.discard();
    }
  }
  return rewritten;
}

/** WAL files an earlier build moved aside (`<file>.wal.stale-…`) hold old writes, the subject's too: removed. */
function removeStaleWals(target: TargetDef): number {
  const prefix = `${basename(target.path)}.wal.stale-`;
  const stale = readdirSync(dirname(target.path)).filter((f) => f.startsWith(prefix));
  for (const f of stale) rmSync(join(dirname(target.path), f), { force: true });
  return stale.length;
}

/** One line per relation: what was (or would be) erased. */
function report(reporter: Reporter, head: string, outcomes: readonly RelationOutcome[], dry = false): void {
  reporter.line(head);
  const label = (o: RelationOutcome) => (o.unowned ? `${o.relation} (${o.unowned})` : o.relation);
  const width = Math.max(...outcomes.map((o) => label(o).length));
  for (const o of outcomes) {
    const what = o.absent ? 'not in the target' : `${formatCount(o.rows)} row${o.rows === 1 ? '' : 's'} ${dry ? `to be ${o.action}` : o.action}`;
    reporter.line(`  ${label(o).padEnd(width)}  ${what}`);
  }
  const rows = outcomes.reduce((n, o) => n + o.rows, 0);
  reporter.line(`  ${formatCount(rows)} row${rows === 1 ? '' : 's'} in ${outcomes.filter((o) => o.rows > 0).length} of ${outcomes.length} relations`);
}
