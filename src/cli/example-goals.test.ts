import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { queryFile, runCli, type CliResult } from '../test-support/project.js';

/** examples/goals, copied so the test never builds inside the repository. Figures are checked against the raw CSV files. */
const project = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/goals');
const skip = new Set(['warehouse', 'target', 'output']);
let dir: string;
let build: CliResult;

const csvRows = (path: string): Record<string, string>[] => {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const names = header.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i], v])));
};
const DAY = 86400000;
const dayIndex = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / DAY;

/** Each goal recomputed from the raw files in plain JS: its series so far, the least-squares line and the status. */
function expectedGoals(day?: string): Map<string, { current: number; progress: number; slope: number; forecast: number; status: string }> {
  const values = csvRows(join(dir, 'data/raw/kpi_values.csv'));
  const asOf = day ?? values.map((v) => v.metric_date).sort().at(-1)!;
  const out = new Map();
  for (const g of csvRows(join(dir, 'seeds/goals.csv'))) {
    const days = values
      .filter((v) => v.business_unit === g.business_unit && v.kpi === g.kpi && v.metric_date >= g.period_start && v.metric_date <= g.period_end && v.metric_date <= asOf)
      .sort((a, b) => a.metric_date.localeCompare(b.metric_date));
    let total = 0;
    const xs = days.map((d) => dayIndex(g.period_start, d.metric_date));
    const ys = days.map((d) => (g.measure === 'sum' ? (total += Number(d.value)) : Number(d.value)));
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    const slope = xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
    const forecast = Math.max(0, my - slope * mx + slope * dayIndex(g.period_start, g.period_end));
    const [base, target] = [Number(g.baseline_value), Number(g.target_value)];
    const current = ys.at(-1)!;
    const progress = (100 * (current - base)) / (target - base);
    const forecastPct = (100 * (forecast - base)) / (target - base);
    const status = progress >= 100 ? 'achieved' : forecastPct >= Number(g.alert_threshold_pct) ? 'on track' : 'at risk';
    out.set(g.goal_id, { current, progress, slope, forecast, status });
  }
  return out;
}

const db = () => join(dir, 'warehouse/dev.duckdb');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eider-example-goals-'));
  cpSync(project, dir, { recursive: true, filter: (src) => !skip.has(src.slice(project.length + 1).split('/')[0]) });
  build = await runCli(dir, ['build']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the goals example project', () => {
  it('builds with every test passing, unit tests included', async () => {
    expect(build.stderr).toBe('');
    expect(build.code).toBe(0);
    expect(build.stdout).toMatch(/Finished in [\d.]+s: 9 OK, 32 PASS$/m);
    expect(build.stdout).toMatch(/PASS unit test goal_forecast_fits_a_straight_line/);
    expect(build.stdout).toMatch(/PASS test anomaly_stg_kpi_values/);
    const test = await runCli(dir, ['test']);
    expect(test.code).toBe(0);
  });

  it('runs every model against empty inputs (run --empty)', async () => {
    expect((await runCli(dir, ['seed', '--target', 'ci'])).code).toBe(0); // run builds models only, as dbt's does
    const r = await runCli(dir, ['run', '--empty', '--target', 'ci']);
    expect(r.stdout + r.stderr).not.toMatch(/ERROR/);
    expect(r.code).toBe(0);
  });

  it('forecasts each goal by least squares over its progress so far, and rates it from the raw data', async () => {
    const expected = expectedGoals();
    const rows = await queryFile(
      db(),
      `select s.goal_id, s.current_value, s.progress_pct, s.forecast_value, s.status, s.alert, f.slope_per_day from goals.goal_status s join goals.goal_forecast f using (goal_id) order by goal_id`,
    );
    expect(rows.map((r) => r.goal_id)).toEqual([...expected.keys()].sort());
    for (const r of rows) {
      const e = expected.get(String(r.goal_id))!;
      expect(r.current_value, String(r.goal_id)).toBeCloseTo(e.current, 2);
      expect(r.progress_pct, String(r.goal_id)).toBeCloseTo(e.progress, 2);
      expect(Number(r.slope_per_day) / e.slope, String(r.goal_id)).toBeCloseTo(1, 9);
      expect(Number(r.forecast_value), String(r.goal_id)).toBeCloseTo(e.forecast, 1);
      expect(r.status, String(r.goal_id)).toBe(e.status);
      expect(r.alert).toBe(e.status === 'at risk');
    }
    // The data makes every status but "not started" appear.
    expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['achieved', 'on track', 'at risk']));
  });

  it('writes the report as CSV and JSON files (external models), and runs its schedule', async () => {
    const csv = readFileSync(join(dir, 'output/dev/goal_report.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('goal_id,goal_name,owner,as_of,current_value,target_value,progress_pct,forecast_value,forecast_progress_pct,alert_threshold_pct,status');
    expect(csv).toHaveLength(10);
    const json = readFileSync(join(dir, 'output/dev/goal_report.json'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { goal_id: string; alert: boolean });
    const atRisk = [...expectedGoals()].filter(([, e]) => e.status === 'at risk').map(([id]) => id).sort();
    expect(json.filter((r) => r.alert).map((r) => r.goal_id)).toEqual(atRisk);
    expect(json.slice(0, atRisk.length).every((r) => r.alert)).toBe(true); // alerts first

    const list = await runCli(dir, ['schedule', '--list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^goals_daily: "30 6 \* \* \*" \(Asia\/Kolkata\) on prod, select \+goal_status$/m);
    expect(list.stdout).toMatch(/^weekly_report: "0 8 \* \* 1" \(Asia\/Kolkata\) on prod, select tag:report$/m);
    expect((await runCli(dir, ['build', '--target', 'prod'])).code).toBe(0);
    rmSync(join(dir, 'output/prod'), { recursive: true });
    const once = await runCli(dir, ['schedule', '--once', 'weekly_report']);
    expect(once.code).toBe(0);
    expect(existsSync(join(dir, 'output/prod/goal_report.csv'))).toBe(true);
    expect(existsSync(join(dir, 'output/prod/goal_report.json'))).toBe(true);
    const [release] = await queryFile(join(dir, 'warehouse/prod.duckdb'), `select schedule from eider.releases order by published_at desc limit 1`);
    expect(release).toEqual({ schedule: 'weekly_report' });
  });

  it('reports as of an earlier day with --vars, listing a goal whose period has not started', async () => {
    const r = await runCli(dir, ['build', '-s', '+goal_status', '--vars', '{as_of: 2026-10-31}']);
    expect(r.code).toBe(0);
    const rows = await queryFile(db(), `select goal_id, strftime(as_of, '%Y-%m-%d') as as_of, status from goals.goal_status where goal_id in ('signups_nov', 'orders_q4') order by 1`);
    expect(rows).toEqual([
      { goal_id: 'orders_q4', as_of: '2026-10-31', status: expectedGoals('2026-10-31').get('orders_q4')!.status },
      { goal_id: 'signups_nov', as_of: '2026-10-31', status: 'not started' },
    ]);
  });

  it('regenerates the committed data with its generator, and more at a larger --scale', () => {
    const run = (scale: string, to: string) => spawnSync(process.execPath, [join(dir, 'scripts/generate-data.mjs'), '--scale', scale, '--out', to], { encoding: 'utf8' });
    const out = join(dir, 'regenerated');
    expect(run('1', out).status).toBe(0);
    expect(readFileSync(join(out, 'goals.csv'), 'utf8')).toBe(readFileSync(join(dir, 'seeds/goals.csv'), 'utf8'));
    expect(readFileSync(join(out, 'kpi_values.csv'), 'utf8')).toBe(readFileSync(join(dir, 'data/raw/kpi_values.csv'), 'utf8'));
    expect(run('3', join(dir, 'scale3')).stdout).toMatch(/^27 goals, 1242 KPI values \(scale 3\)/);
  });
});
