import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { makeFolder } from '../folders.js';

/** Held while a command writes a target: a second build on the same target fails at once, naming the holder. */
export interface BuildLock {
  readonly path: string;
  release(): void;
}

export interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
  readonly command: string;
}

export class LockedError extends Error {
  override readonly name = 'LockedError';
}

export function lockPath(target: string): string {
  return join(dirname(target), `.${basename(target)}.lock`);
}

/**
 * Takes `.<file>.lock` beside the target. The lock file is written under a unique name and hard-linked
 * into place, so taking it is atomic; a lock whose process is gone (killed, crashed) is moved aside
 * atomically too (only one contender wins the rename) and taken.
 */
export function acquireLock(target: string, command: string): BuildLock {
  const path = lockPath(target);
  const me: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command };
  const mine = `${path}.${process.pid}.${Date.now()}`;
  makeFolder(dirname(path));
  const fd = openSync(mine, 'wx');
  writeSync(fd, JSON.stringify(me));
  closeSync(fd);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(mine, path);
        return { path, release: () => releaseIfMine(path) };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = readHolder(path);
      if (holder && holder.host === me.host && isAlive(holder.pid)) {
        throw new LockedError(`target is being built by another eider process (PID ${holder.pid}, ${holder.command}, since ${holder.since}); lock: ${path}`);
      }
      if (holder && holder.host !== me.host) {
        throw new LockedError(`target is locked by eider on host ${holder.host} (PID ${holder.pid}, since ${holder.since}); remove ${path} if that build is gone`);
      }
      // The holder is gone: move its lock aside (atomic, one winner) and try again.
      try {
        renameSync(path, `${path}.stale.${process.pid}`);
        rmSync(`${path}.stale.${process.pid}`, { force: true });
      } catch {
        /* someone else moved it first */
      }
    }
    throw new LockedError(`could not take the build lock ${path}`);
  } finally {
    rmSync(mine, { force: true });
  }
}

/** The live eider process on this host that holds the target's build lock, if one does. */
export function lockHolder(target: string): Holder | undefined {
  const holder = readHolder(lockPath(target));
  return holder && holder.host === hostname() && isAlive(holder.pid) ? holder : undefined;
}

function readHolder(path: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Holder;
  } catch {
    return undefined; // half-written by a process that died: treat as stale
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaseIfMine(path: string): void {
  const holder = readHolder(path);
  if (holder?.pid === process.pid) rmSync(path, { force: true });
}
