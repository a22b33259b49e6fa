import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../scripts/generate-data.mjs');

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'eider-gen-'));
  dirs.push(d);
  return d;
};

describe('scripts/generate-data.mjs', () => {
  it('--out DIR writes every file under DIR and nothing beside it (never the committed data/raw)', () => {
    const cwd = temp();
    const out = temp();
    const r = spawnSync(process.execPath, [SCRIPT, '--scale', '0.02', '--out', out], { cwd, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readdirSync(cwd)).toEqual([]);
    expect(readdirSync(out).sort()).toEqual([
      'ad_spend.parquet', 'inventory_snapshots.parquet', 'raw_campaigns.csv', 'raw_customers.csv', 'raw_order_items.csv', 'raw_orders.csv',
      'raw_payments.csv', 'raw_products.csv', 'raw_sellers.csv', 'shipments.parquet', 'web_sessions.csv',
    ]);
  });

  it('without --out writes nothing and says so (exit 2); a bad --scale likewise', () => {
    const cwd = temp();
    for (const args of [[], ['--scale', '2'], ['--scale', 'x', '--out', 'o']]) {
      const r = spawnSync(process.execPath, [SCRIPT, ...args], { cwd, encoding: 'utf8' });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(readdirSync(cwd), args.join(' ')).toEqual([]);
    }
  });

  it('writes exactly the committed data at scale 1, the same bytes on every run', () => {
    const out = temp();
    const r = spawnSync(process.execPath, [SCRIPT, '--out', out, '--data-out', join(out, 'raw')], { cwd: temp(), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const repo = resolve(dirname(SCRIPT), '..');
    for (const f of readdirSync(join(repo, 'seeds')).filter((f) => f.endsWith('.csv'))) expect(readFileSync(join(out, f)).equals(readFileSync(join(repo, 'seeds', f))), f).toBe(true);
    for (const f of readdirSync(join(repo, 'data/raw'))) expect(readFileSync(join(out, 'raw', f)).equals(readFileSync(join(repo, 'data/raw', f))), f).toBe(true);
    expect(readdirSync(join(out, 'raw')).sort()).toEqual(readdirSync(join(repo, 'data/raw')).sort());
  });
});
