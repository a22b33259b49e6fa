import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateProject } from '../bench/generate.js';
import { lockPath } from '../publish/lock.js';
import { prodProject, prodRelease } from '../test-support/prod.js';
import { testProject, type TestProject } from '../test-support/project.js';

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/eider.js');
let p: TestProject | undefined;
afterEach(() => p?.remove());

/** `eider <args> | <reader>` in bash, as a user types it: eider's exit code and what it wrote to stderr. */
function piped(cwd: string, args: string, reader: string): Promise<{ code: number; stderr: string }> {
  return new Promise((res) => {
    const child = spawn('bash', ['-c', `"${process.execPath}" "${BIN}" ${args} | ${reader} >/dev/null; echo "eider-exit=\${PIPESTATUS[0]}" >&2`], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', () => res({ code: Number(/eider-exit=(\d+)/.exec(stderr)?.[1] ?? -1), stderr: stderr.replace(/eider-exit=\d+\n/, '') }));
  });
}

describe('a slow reader (eider … | jq)', () => {
  it('gets the whole output, past what the pipe holds, before eider exits', async () => {
    p = testProject({});
    generateProject(p.dir, 1500, 'view');
    const count = (reader: string) =>
      new Promise<string>((res) => {
        const child = spawn('bash', ['-c', `"${process.execPath}" "${BIN}" ls -o json | ${reader}`], { cwd: p!.dir });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.on('close', () => res(out.trim()));
      });
    // Written to a file, the output is whole: the size to compare with.
    const all = await count('cat > ls.json; wc -c < ls.json');
    expect(Number(all)).toBeGreaterThan(4 * 65_536);
    expect(await count('wc -c')).toBe(all);
    // The reader takes nothing for a second: the output past the pipe's 64 KiB waits in eider's stream, not lost at exit.
    expect(await count('(sleep 1; wc -c)')).toBe(all);
  }, 60_000);
});

describe('a closed stdout (eider … | head -1)', () => {
  it('ls, debug and compile exit quietly when the reader goes away', async () => {
    p = prodProject();
    for (const [args, reader] of [['ls', 'head -1'], ['ls', 'true'], ['debug', 'head -1'], ['debug', 'true'], ['compile', 'true']]) {
      const r = await piped(p.dir, args, reader);
      expect(r.stderr, `${args} | ${reader}`).not.toMatch(/EPIPE|\n\s+at |Error/);
      expect(r.code, `${args} | ${reader}`).toBe(0);
    }
  });

  it('a build whose output is closed still publishes its release and leaves nothing behind', async () => {
    p = prodProject();
    for (const [v, reader] of [[1, 'true'], [2, 'head -1']] as const) {
      const r = await piped(p.dir, `build --target prod --vars '{v: ${v}}'`, reader);
      expect(r.stderr).not.toMatch(/EPIPE|\n\s+at /);
      expect(r.code).toBe(0);
      expect(await prodRelease(p)).toBe(v);
      const warehouse = join(p.dir, 'warehouse');
      expect(readdirSync(warehouse).filter((f) => f.includes('.build-') || f.endsWith('.wal'))).toEqual([]);
      expect(existsSync(lockPath(join(warehouse, 'prod.duckdb')))).toBe(false);
    }
  });
});

describe('main() used as a library', () => {
  it('leaves the host process as it was: no signal or stream handlers added', async () => {
    p = prodProject();
    const { main } = await import('../cli/main.js');
    const before = ['SIGINT', 'SIGTERM'].map((s) => process.listenerCount(s)).concat([process.stdout.listenerCount('error'), process.stderr.listenerCount('error')]);
    for (let i = 0; i < 3; i++) expect(await main(['node', 'eider', 'ls', '--project-dir', p.dir])).toBe(0);
    const after = ['SIGINT', 'SIGTERM'].map((s) => process.listenerCount(s)).concat([process.stdout.listenerCount('error'), process.stderr.listenerCount('error')]);
    expect(after).toEqual(before);
  });
});
