#!/usr/bin/env node
// Writes the events example's raw data: deterministic (seeded), at any scale.
//   node scripts/generate-data.mjs [--scale N] [--out DIR]
// With no --out: raw_users.csv goes to seeds/, events.parquet and feedback.csv to data/raw/ (the committed data,
// scale 1). With --out DIR every file goes into DIR. --scale multiplies the number of users (and so of events).
// Two incidents are planted: an outage on 2026-09-17 (errors and latency up) and a sale on 2026-10-09 (revenue up).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
const seedsDir = out ? resolve(out) : join(project, 'seeds');
const dataDir = out ? resolve(out) : join(project, 'data/raw');

// mulberry32: a small, fast, seeded PRNG
let seed = 20260801;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const chance = (p) => rand() < p;

const DAY = 86400000;
const START = Date.UTC(2026, 7, 3); // Monday 2026-08-03
const DAYS = 90; // to 2026-10-31
const OUTAGE = '2026-09-17';
const SALE = '2026-10-09';
const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
const ts = (ms) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const field = (v) => (v === null || v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
const csv = (rows, header) => [header.join(','), ...rows.map((r) => header.map((h) => field(r[h])).join(','))].join('\n') + '\n';

// Users: a hidden behaviour profile drives how often they come and how much they buy.
const PROFILES = [
  { name: 'power', weight: 0.15, active: 0.6, buy: 0.35 },
  { name: 'regular', weight: 0.35, active: 0.3, buy: 0.2 },
  { name: 'casual', weight: 0.5, active: 0.1, buy: 0.08 },
];
const COUNTRIES = ['IN', 'IN', 'IN', 'US', 'GB', 'SG', 'AE', 'DE'];
const CHANNELS = ['organic', 'paid_search', 'social', 'referral', 'email'];
const nUsers = Math.round(200 * scale);
const users = [];
for (let id = 1; id <= nUsers; id++) {
  let r = rand();
  const profile = PROFILES.find((p) => (r -= p.weight) < 0) ?? PROFILES[2];
  const signup = START + int(-180, 30) * DAY; // a few sign up during the period
  const lastDay = chance(0.2) ? int(15, 70) : DAYS; // one in five drifts away during the period
  users.push({ user_id: id, signup_date: isoDay(signup), country: pick(COUNTRIES), plan: pick(['free', 'free', 'plus', 'pro']), acquisition_channel: pick(CHANNELS), profile, lastDay });
}

// Events: sessions of page views walking down the funnel: page_view → product_view → add_to_cart → checkout_start →
// purchase (or payment_failed). Any event may be followed by an error; latency_ms is the request's time.
const events = [];
const push = (user, session, type, at, extra = {}) =>
  events.push({ event_id: events.length + 1, user_id: user.user_id, session_id: session, event_type: type, occurred_at: ts(at), revenue: extra.revenue ?? null, latency_ms: extra.latency_ms });
let sessionId = 0;
let load = 1; // the day's server load: latency moves with it
const latency = (outage) => Math.round((60 + rand() * 120 + (rand() < 0.02 ? rand() * 200 : 0)) * load * (outage ? 3.5 : 1));
for (let d = 0; d < DAYS; d++) {
  const dayMs = START + d * DAY;
  const date = isoDay(dayMs);
  const weekend = [0, 6].includes(new Date(dayMs).getUTCDay());
  const outage = date === OUTAGE;
  const sale = date === SALE;
  load = 0.8 + rand() * 0.4;
  for (const user of users) {
    if (user.signup_date > date || d > user.lastDay) continue;
    if (!chance(user.profile.active * (weekend ? 0.8 : 1))) continue;
    const sessions = chance(0.3) ? 2 : 1;
    for (let s = 0; s < sessions; s++) {
      sessionId++;
      let at = dayMs + int(6 * 3600, 22 * 3600) * 1000;
      const step = () => (at += int(5, 240) * 1000);
      const errorRate = outage ? 0.15 : 0.012;
      const ev = (type, extra = {}) => {
        push(user, sessionId, type, step(), { ...extra, latency_ms: latency(outage) });
        if (chance(errorRate)) push(user, sessionId, 'error', step(), { latency_ms: latency(outage) * 4 });
      };
      for (let v = int(1, 3); v > 0; v--) ev('page_view');
      if (!chance(0.65)) continue;
      for (let v = int(1, 3); v > 0; v--) ev('product_view');
      if (!chance(sale ? 0.7 : 0.4)) continue;
      ev('add_to_cart');
      if (!chance(0.6)) continue;
      ev('checkout_start');
      if (!chance(Math.min(0.95, user.profile.buy * (sale ? 4 : 1) + 0.5))) continue;
      if (chance(outage ? 0.3 : 0.04)) {
        ev('payment_failed');
        continue;
      }
      ev('purchase', { revenue: (int(199, 4999) * (sale ? 2 : 1)).toFixed(2) });
    }
  }
}

// Feedback: some purchases get a rating and a short comment, worded after the rating (with some negations).
const PHRASES = {
  5: ['Love it, excellent service', 'Great app and fast delivery', 'Amazing deals, very happy', 'Perfect checkout, awesome', 'Superb, would recommend'],
  4: ['Good experience overall', 'Nice app, delivery was quick', 'Pretty good, helpful support', 'Happy with the order', 'Easy to use and good prices'],
  3: ['It was okay', 'Not bad, not great', 'Average experience, delivery was slow', 'Fine, but the search is confusing', 'Okay prices, nothing special'],
  2: ['Disappointed, the app is slow', 'Not good, checkout was confusing', 'Poor search and late delivery', 'Bad experience with support', 'Not happy with the prices'],
  1: ['Terrible, payment failed twice', 'Awful app, it keeps crashing', 'Worst experience, never again', 'Broken checkout, very frustrating', 'Horrible support, refund is late'],
};
const feedback = [];
for (const e of events) {
  if (e.event_type !== 'purchase' && e.event_type !== 'payment_failed') continue;
  if (!chance(e.event_type === 'purchase' ? 0.25 : 0.6)) continue;
  const base = e.event_type === 'payment_failed' ? int(1, 2) : e.occurred_at.startsWith(OUTAGE) ? int(1, 3) : int(3, 5);
  const rating = Math.max(1, Math.min(5, base + (chance(0.15) ? pick([-1, 1]) : 0)));
  const submitted = Date.parse(e.occurred_at.replace(' ', 'T') + 'Z') + int(1, 48) * 3600000;
  feedback.push({ feedback_id: feedback.length + 1, user_id: e.user_id, submitted_at: ts(submitted), rating, comment: pick(PHRASES[rating]) });
}

mkdirSync(seedsDir, { recursive: true });
mkdirSync(dataDir, { recursive: true });
writeFileSync(join(seedsDir, 'raw_users.csv'), csv(users, ['user_id', 'signup_date', 'country', 'plan', 'acquisition_channel']));
writeFileSync(join(dataDir, 'feedback.csv'), csv(feedback, ['feedback_id', 'user_id', 'submitted_at', 'rating', 'comment']));
// events.parquet: written through DuckDB from a temporary CSV, with explicit column types.
const tmp = mkdtempSync(join(tmpdir(), 'events-gen-'));
try {
  const tmpCsv = join(tmp, 'events.csv');
  writeFileSync(tmpCsv, csv(events, ['event_id', 'user_id', 'session_id', 'event_type', 'occurred_at', 'revenue', 'latency_ms']));
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const columns = "{'event_id': 'INTEGER', 'user_id': 'INTEGER', 'session_id': 'INTEGER', 'event_type': 'VARCHAR', 'occurred_at': 'TIMESTAMP', 'revenue': 'DECIMAL(10,2)', 'latency_ms': 'INTEGER'}";
  const target = join(dataDir, 'events.parquet').replaceAll("'", "''");
  await con.run(`copy (select * from read_csv('${tmpCsv.replaceAll("'", "''")}', header = true, columns = ${columns}) order by event_id) to '${target}' (format parquet, compression zstd)`);
  con.closeSync();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`${users.length} users, ${events.length} events, ${feedback.length} feedback rows (scale ${scale})`);
