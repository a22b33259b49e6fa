#!/usr/bin/env node
// Writes the goals example's raw data: deterministic (seeded), at any scale.
//   node scripts/generate-data.mjs [--scale N] [--out DIR]
// With no --out: goals.csv goes to seeds/ and kpi_values.csv to data/raw/ (the committed data, scale 1). With --out
// DIR both go into DIR. --scale N makes N business units, each with the same nine goals (scale 1: one, "india").
// The KPIs are measured every day from 2026-10-01 to 2026-11-15, the day the report is "run".
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const fail = (message) => {
  console.error(`generate-data: ${message}`);
  process.exit(2);
};
const scale = Number(opt('scale', '1'));
if (!(scale >= 1) || !Number.isInteger(scale)) fail('--scale must be a whole number, 1 or more');
const project = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = opt('out', undefined);
if (!out && scale !== 1) fail('--scale other than 1 needs --out DIR: the project holds the committed scale-1 data');
const seedsDir = out ? resolve(out) : join(project, 'seeds');
const dataDir = out ? resolve(out) : join(project, 'data/raw');

// mulberry32: a small, fast, seeded PRNG
let seed = 20261001;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const noise = (sd) => (rand() + rand() + rand() - 1.5) * sd * 2; // roughly normal, mean 0

const DAY = 86400000;
const START = Date.UTC(2026, 9, 1);
const DAYS = 46; // 2026-10-01 .. 2026-11-15
const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);

// Each KPI: how a day's value moves (start, change per day, noise), rounded to its unit.
const KPIS = [
  { kpi: 'revenue', start: 118000, trend: 180, sd: 18000, digits: 0 },
  { kpi: 'orders', start: 320, trend: 0.6, sd: 35, digits: 0 },
  { kpi: 'new_customers', start: 44, trend: -0.12, sd: 6, digits: 0 },
  { kpi: 'signups', start: 64, trend: 0.2, sd: 9, digits: 0 },
  { kpi: 'mrr', start: 2000000, trend: 4800, sd: 9000, digits: 0 },
  { kpi: 'nps', start: 31, trend: 0.12, sd: 1.5, digits: 1 },
  { kpi: 'churn_rate_pct', start: 4.0, trend: -0.011, sd: 0.08, digits: 2 },
  { kpi: 'support_backlog', start: 420, trend: -5.5, sd: 12, digits: 0 },
  { kpi: 'app_rating', start: 4.1, trend: 0.0095, sd: 0.03, digits: 2 },
];
// Goals: a KPI summed over the period (measure sum) or its latest value (measure last), from a baseline to a target.
const GOALS = [
  ['revenue_q4', 'revenue', 'Q4 revenue', 'finance', '2026-10-01', '2026-12-31', 'sum', 0, 12000000, 95],
  ['orders_q4', 'orders', 'Q4 orders', 'sales', '2026-10-01', '2026-12-31', 'sum', 0, 30000, 95],
  ['new_customers_q4', 'new_customers', 'Q4 new customers', 'marketing', '2026-10-01', '2026-12-31', 'sum', 0, 4500, 90],
  ['signups_nov', 'signups', 'November sign-ups', 'marketing', '2026-11-01', '2026-11-30', 'sum', 0, 2000, 95],
  ['mrr_q4', 'mrr', 'Monthly recurring revenue by year end', 'finance', '2026-10-01', '2026-12-31', 'last', 2000000, 2600000, 90],
  ['nps_q4', 'nps', 'Net promoter score 40', 'product', '2026-10-01', '2026-12-31', 'last', 31, 40, 90],
  ['churn_q4', 'churn_rate_pct', 'Churn down to 3%', 'success', '2026-10-01', '2026-12-31', 'last', 4, 3, 90],
  ['backlog_q4', 'support_backlog', 'Support backlog under 200', 'support', '2026-10-01', '2026-12-31', 'last', 420, 200, 90],
  ['rating_q4', 'app_rating', 'App rating 4.5', 'product', '2026-10-01', '2026-12-31', 'last', 4.1, 4.5, 90],
];

const units = scale === 1 ? ['india'] : Array.from({ length: scale }, (_, i) => `unit_${i + 1}`);
const goals = [];
const values = [];
for (const unit of units) {
  const size = unit === 'india' ? 1 : 0.6 + rand() * 0.8; // other units: bigger or smaller, same shape
  for (const [id, kpi, name, owner, start, end, measure, baseline, target, threshold] of GOALS) {
    const scaled = (v) => (measure === 'sum' || kpi === 'mrr' || kpi === 'support_backlog' ? Math.round(v * size) : v);
    goals.push({ goal_id: scale === 1 ? id : `${unit}_${id}`, business_unit: unit, kpi, goal_name: name, owner, period_start: start, period_end: end, measure, baseline_value: scaled(baseline), target_value: scaled(target), alert_threshold_pct: threshold });
  }
  for (const k of KPIS) {
    const factor = k.kpi === 'mrr' || k.kpi === 'support_backlog' || ['revenue', 'orders', 'new_customers', 'signups'].includes(k.kpi) ? size : 1;
    for (let d = 0; d < DAYS; d++) {
      const v = Math.max(0, (k.start + k.trend * d + noise(k.sd)) * factor);
      values.push({ business_unit: unit, kpi: k.kpi, metric_date: isoDay(START + d * DAY), value: v.toFixed(k.digits) });
    }
  }
}

const field = (v) => (v === null || v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
const csv = (rows) => [Object.keys(rows[0]).join(','), ...rows.map((r) => Object.values(r).map(field).join(','))].join('\n') + '\n';
mkdirSync(seedsDir, { recursive: true });
mkdirSync(dataDir, { recursive: true });
writeFileSync(join(seedsDir, 'goals.csv'), csv(goals));
writeFileSync(join(dataDir, 'kpi_values.csv'), csv(values));
console.log(`${goals.length} goals, ${values.length} KPI values (scale ${scale})`);
