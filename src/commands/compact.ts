import { existsSync } from 'node:fs';
import { usageError } from '../errors.js';
import { describeCompaction, compactTarget } from '../publish/compact.js';
import { checkTargetFolder } from '../publish/in-place.js';
import { acquireLock } from '../publish/lock.js';
import { projectTarget, type GlobalOptions } from './context.js';

/** `compact`: rewrite the target's file without its freed blocks, under the target's lock, and say how much it shrank. */
export async function compactCommand(opts: GlobalOptions): Promise<number> {
  const { target, reporter } = projectTarget(opts);
  const where = target.lines?.file ?? 'profiles/profiles.yml';
  if (target.path === ':memory:') throw usageError(`target "${target.name}" is :memory:, there is no file to compact`, where, target.lines?.path);
  if (!existsSync(target.path)) throw usageError(`target "${target.name}": its file does not exist yet, there is nothing to compact (build it first)`, where, target.lines?.path);
  checkTargetFolder(target);
  const lock = acquireLock(target.path, 'eider compact');
  try {
    reporter.line(describeCompaction(target, await compactTarget(target, (w) => reporter.errorLine(`warning: ${w}`))));
    return 0;
  } finally {
    lock.release();
  }
}
