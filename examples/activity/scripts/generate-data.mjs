#!/usr/bin/env node
// Writes the activity example's raw data: deterministic (seeded), at any scale.
//   node scripts/generate-data.mjs [--scale N] [--out DIR]
// Without --out: the seeds go to seeds/ and the activity log to data/raw/ (the committed scale-1 data).
// With --out DIR every file goes into DIR. Eight weeks of activity: Monday 2026-05-04 .. Sunday 2026-06-28 (UTC),
// with an API incident on 2026-06-10 (a third of the API calls fail that day).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

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
if (!(scale > 0)) fail('--scale must be a positive number');
const project = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = opt('out', undefined);
if (!out && scale !== 1) fail('--scale other than 1 needs --out DIR: the project holds the committed scale-1 data');
const seedsDir = out ?? join(project, 'seeds');
const rawDir = out ?? join(project, 'data/raw');
mkdirSync(seedsDir, { recursive: true });
mkdirSync(rawDir, { recursive: true });

// mulberry32: a small, fast, seeded PRNG
let seed = 20260504;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const weighted = (pairs) => {
  const total = pairs.reduce((s, [, w]) => s + w, 0);
  let r = rand() * total;
  for (const [v, w] of pairs) if ((r -= w) < 0) return v;
  return pairs[pairs.length - 1][0];
};
const DAY = 86400000;
const START = Date.UTC(2026, 4, 4);
const DAYS = 56;
const INCIDENT = Date.UTC(2026, 5, 10);
const ts = (ms) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const field = (v) => (v === null || v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
const csv = (rows, header) => [header.join(','), ...rows.map((r) => header.map((h) => field(r[h])).join(','))].join('\n') + '\n';

// Activity types: how long their rows are kept (heartbeats a week), how often they fail, their error codes.
const TYPES = [
  { activity_type: 'page_view', category: 'engagement', retention_days: 730, weight: 40, fail: 0.005, codes: [404] },
  { activity_type: 'search', category: 'engagement', retention_days: 730, weight: 15, fail: 0.01, codes: [500, 504] },
  { activity_type: 'upload', category: 'content', retention_days: 1095, weight: 6, fail: 0.03, codes: [413, 500] },
  { activity_type: 'download', category: 'content', retention_days: 730, weight: 8, fail: 0.01, codes: [404, 500] },
  { activity_type: 'share', category: 'collaboration', retention_days: 730, weight: 4, fail: 0.01, codes: [403] },
  { activity_type: 'api_call', category: 'integration', retention_days: 730, weight: 12, fail: 0.02, codes: [429, 500, 502] },
  { activity_type: 'heartbeat', category: 'telemetry', retention_days: 7, weight: 15, fail: 0, codes: [] },
];
const PLANS = [['free', 60], ['pro', 30], ['team', 10]];
const COUNTRIES = [['US', 30], ['IN', 20], ['DE', 12], ['BR', 10], ['JP', 8], ['GB', 10], ['FR', 10]];

const nUsers = Math.round(300 * scale);
const users = [];
for (let id = 1; id <= nUsers; id++) {
  const signup = START - int(-40, 200) * DAY; // some sign up during the eight weeks
  users.push({ user_id: id, plan: weighted(PLANS), country: weighted(COUNTRIES), signed_up_on: new Date(signup).toISOString().slice(0, 10), level: rand() });
}

const events = [];
for (let d = 0; d < DAYS; d++) {
  const day = START + d * DAY;
  const weekend = new Date(day).getUTCDay() % 6 === 0;
  for (const u of users) {
    if (Date.parse(u.signed_up_on) > day) continue;
    if (rand() > u.level * (weekend ? 0.35 : 0.7)) continue; // not active today
    const n = int(1, 4 + Math.round(u.level * 10));
    for (let i = 0; i < n; i++) {
      const t = weighted(TYPES.map((x) => [x, x.weight]));
      const fail = t.activity_type === 'api_call' && day === INCIDENT ? 0.33 : t.fail;
      const error = rand() < fail;
      events.push({
        event_id: 0,
        user_id: u.user_id,
        activity_type: t.activity_type,
        occurred_at: ts(day + int(0, 86399) * 1000),
        status: error ? 'error' : 'ok',
        error_code: error ? t.codes[int(0, t.codes.length - 1)] : null,
        duration_ms: t.activity_type === 'heartbeat' ? null : int(20, 2000),
        bytes: t.activity_type === 'upload' || t.activity_type === 'download' ? int(1, 5000) * 1024 : null,
      });
    }
  }
}
events.sort((a, b) => (a.occurred_at < b.occurred_at ? -1 : a.occurred_at > b.occurred_at ? 1 : a.user_id - b.user_id));
events.forEach((e, i) => (e.event_id = i + 1));

writeFileSync(join(seedsDir, 'activity_types.csv'), csv(TYPES, ['activity_type', 'category', 'retention_days']));
writeFileSync(join(seedsDir, 'app_users.csv'), csv(users, ['user_id', 'plan', 'country', 'signed_up_on']));
const tmp = join(rawDir, '.activity_log.csv');
writeFileSync(tmp, csv(events, ['event_id', 'user_id', 'activity_type', 'occurred_at', 'status', 'error_code', 'duration_ms', 'bytes']));
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const q = (s) => `'${s.replaceAll("'", "''")}'`;
await con.run(`copy (select * from read_csv(${q(tmp)}, header=true, columns={'event_id': 'BIGINT', 'user_id': 'INTEGER', 'activity_type': 'VARCHAR', 'occurred_at': 'TIMESTAMP', 'status': 'VARCHAR', 'error_code': 'INTEGER', 'duration_ms': 'INTEGER', 'bytes': 'BIGINT'}) order by event_id) to ${q(join(rawDir, 'activity_log.parquet'))} (format parquet, compression zstd)`);
rmSync(tmp);
console.log(`scale ${scale}: ${users.length} users, ${events.length} activities over ${DAYS} days`);
