import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
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
    expect(readdirSync(out).sort()).toEqual(['raw_customers.csv', 'raw_order_items.csv', 'raw_orders.csv', 'raw_payments.csv', 'raw_products.csv', 'web_sessions.csv']);
  });
});
