import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryFile, runCli } from '../test-support/project.js';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));
const scratch = () => (dir = mkdtempSync(join(tmpdir(), 'eider-init-')));

describe('eider init', () => {
  it('scaffolds a project that builds and tests green on dev, ci and prod', async () => {
    const root = scratch();
    const r = await runCli(root, ['init', 'shop']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const project = join(root, 'shop');
    expect(readFileSync(join(project, 'project.yml'), 'utf8')).toMatch(/^name: shop$/m);
    expect(readFileSync(join(project, 'profiles/profiles.yml'), 'utf8')).toMatch(/^shop:\n {2}target: dev\n/m);
    expect(readFileSync(join(project, '.gitignore'), 'utf8').split('\n')).toEqual(expect.arrayContaining(['warehouse/', 'target/']));
    for (const target of ['dev', 'ci', 'prod']) {
      const b = await runCli(project, ['build', '--target', target]);
      expect(b.stderr, target).toBe('');
      expect(b.code, target).toBe(0);
      expect(b.stdout, target).toMatch(/PASS unit test customer_orders_leaves_out_cancelled_orders/);
      expect(b.stdout, target).toMatch(/PASS test assert_no_negative_revenue/);
      expect(b.stdout, target).toMatch(/Finished in [\d.]+s: 3 OK, 7 PASS\n/);
    }
    expect((await runCli(project, ['build', '--target', 'prod'])).stdout).toMatch(/Published release/);
    const rows = await queryFile(join(project, 'warehouse/prod.duckdb'), 'select customer_id::int as customer_id, orders::int as orders from marts.customer_orders order by 1');
    expect(rows).toEqual([{ customer_id: 101, orders: 1 }, { customer_id: 102, orders: 2 }, { customer_id: 103, orders: 1 }]);
  });

  it('writes into the current folder by default, naming the project after it', async () => {
    const root = join(scratch(), 'My-Shop 2');
    mkdirSync(root);
    const r = await runCli(root, ['init']);
    expect(r.code).toBe(0);
    expect(readFileSync(join(root, 'project.yml'), 'utf8')).toMatch(/^name: my_shop_2$/m);
    expect((await runCli(root, ['build'])).code).toBe(0);
  });

  it('--name names the project and its profile', async () => {
    const root = scratch();
    expect((await runCli(root, ['init', 'x', '--name', 'acme_dw'])).code).toBe(0);
    expect(readFileSync(join(root, 'x/project.yml'), 'utf8')).toMatch(/^profile: acme_dw$/m);
    expect(readFileSync(join(root, 'x/profiles/profiles.yml'), 'utf8')).toMatch(/^acme_dw:$/m);
    expect((await runCli(join(root, 'x'), ['build'])).code).toBe(0);
  });

  it('refuses a folder with files in it; --force writes beside them, deleting none, and says what it overwrote', async () => {
    const root = scratch();
    writeFileSync(join(root, 'notes.txt'), 'mine');
    writeFileSync(join(root, 'project.yml'), 'name: old\n');
    const r = await runCli(root, ['init']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^\. is not empty: .*--force.*overwriting project\.yml\)\n$/);
    expect(readdirSync(root).sort()).toEqual(['notes.txt', 'project.yml']);
    expect(readFileSync(join(root, 'project.yml'), 'utf8')).toBe('name: old\n');

    const f = await runCli(root, ['init', '--force']);
    expect(f.code).toBe(0);
    expect(f.stderr).toBe('warning: overwrote project.yml\n');
    expect(readFileSync(join(root, 'notes.txt'), 'utf8')).toBe('mine');
    expect(existsSync(join(root, 'models/staging/stg_orders.sql'))).toBe(true);
    expect((await runCli(root, ['build'])).code).toBe(0);
  });

  it('bad input: a name that cannot be a profile key, a path that is a file', async () => {
    const root = scratch();
    for (const name of ['my-shop', '1shop', 'a b', '']) {
      const r = await runCli(root, ['init', 'p', '--name', name]);
      expect(r.code, name).toBe(2);
      expect(r.stderr, name).toMatch(/^--name ".*" cannot name a project: use letters, digits and _.*\n$/);
    }
    expect(existsSync(join(root, 'p'))).toBe(false);
    writeFileSync(join(root, 'f'), '');
    const r = await runCli(root, ['init', 'f']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('f is a file, not a folder\n');
    // --force over a layout in the way: one message, exit 2, nothing written.
    mkdirSync(join(root, 'q/profiles/profiles.yml'), { recursive: true });
    writeFileSync(join(root, 'q/models'), '');
    const clash = await runCli(root, ['init', 'q', '--force']);
    expect(clash.code).toBe(2);
    expect(clash.stderr.split('\n')).toHaveLength(2);
    expect(clash.stderr).toMatch(/^q: .*: nothing was written\n$/);
    expect(clash.stderr).toMatch(/models is a file, and eider init needs a folder there \(for models\//);
    expect(clash.stderr).toMatch(/profiles\/profiles\.yml is a folder, and eider init writes a file there/);
    expect(readdirSync(join(root, 'q')).sort()).toEqual(['models', 'profiles']);
    // A place no folder can be made: one message, exit 2, no stack trace.
    writeFileSync(join(root, 'g'), '');
    for (const [where, why] of [['g/p', 'a file stands where a folder is needed'], ['/proc/eider-init', 'nothing can be created there']]) {
      const r2 = await runCli(root, ['init', where]);
      expect(r2.code, where).toBe(2);
      expect(r2.stderr, where).toBe(`cannot write the project into ${where}: ${why}\n`);
    }
  });

  it("the 'Next:' line is a command a shell takes as it is, quotes and spaces in the path included", async () => {
    const root = scratch();
    const r = await runCli(root, ['init', "it's mine", '--name', 'mine']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Next: cd 'it'\\''s mine' && eider build /m);
    const plain = await runCli(root, ['init', 'n/shop']);
    expect(plain.stdout).toMatch(/^Next: cd n\/shop && eider build /m);
  });
});
