import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';

/** Makes the folder and clears a staged copy an earlier, unfinished build left. */
export function prepareStaged(folder: string, staged: string): void {
  mkdirSync(folder, { recursive: true });
  rmSync(staged, { recursive: true, force: true });
}

/** Moves a staged file or folder into place: a file by one atomic rename, a folder by two. */
export function replaceWithStaged(path: string, staged: string): void {
  if (existsSync(path) && statSync(path).isDirectory()) {
    const old = `${path}.eider-old`;
    rmSync(old, { recursive: true, force: true });
    renameSync(path, old);
    renameSync(staged, path);
    rmSync(old, { recursive: true, force: true });
  } else renameSync(staged, path);
}
