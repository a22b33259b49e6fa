#!/usr/bin/env node
// Writes the CRM example's raw data: deterministic (seeded), at any scale.
//   node scripts/generate-data.mjs [--scale N] [--out DIR]
// Without --out: the seeds go to seeds/ and the CRM's exports to data/raw/ (the committed scale-1 data).
// With --out DIR every file goes into DIR. Events span 2026-01-01 .. 2026-06-30 (UTC).
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
let seed = 20260101;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const weighted = (pairs) => {
  const total = pairs.reduce((s, [, w]) => s + w, 0);
  let r = rand() * total;
  for (const [v, w] of pairs) if ((r -= w) < 0) return v;
  return pairs[pairs.length - 1][0];
};

const DAY = 86400000;
const START = Date.UTC(2026, 0, 1);
const END = Date.UTC(2026, 6, 1); // exclusive: nothing happens on or after 2026-07-01
const ts = (ms) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const field = (v) => (v === null || v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
const csv = (rows, header) => [header.join(','), ...rows.map((r) => header.map((h) => field(r[h])).join(','))].join('\n') + '\n';
const at = (lo, hi) => lo + Math.floor(rand() * (hi - lo) / 1000) * 1000;

// Regions: how long a fact is kept with consent (years) and without it (days).
const REGIONS = [
  { region: 'NA', consent_retention_years: 5, no_consent_retention_days: 90 },
  { region: 'EU', consent_retention_years: 2, no_consent_retention_days: 30 },
  { region: 'APAC', consent_retention_years: 5, no_consent_retention_days: 90 },
  { region: 'LATAM', consent_retention_years: 3, no_consent_retention_days: 60 },
];
const REGION_WEIGHTS = [['NA', 35], ['EU', 30], ['APAC', 25], ['LATAM', 10]];
const FIRST = ['Ava', 'Liam', 'Noah', 'Emma', 'Lucas', 'Mia', 'Sofia', 'Mateo', 'Hana', 'Yuki', 'Arjun', 'Priya', 'Lena', 'Jonas', 'Chloe', 'Diego', 'Ines', 'Omar', 'Zara', 'Kenji'];
const LAST = ['Smith', 'Garcia', 'Mueller', 'Rossi', 'Tanaka', 'Kim', 'Silva', 'Dubois', 'Nowak', 'Patel', 'Chen', 'Johnson', 'Lopez', 'Schmidt', 'Sato'];
const SOURCES = [['web', 35], ['referral', 15], ['event', 15], ['outbound', 25], ['partner', 10]];

const nUsers = Math.max(4, Math.round(12 * scale));
const nLeads = Math.round(600 * scale);
const nActivities = Math.round(5000 * scale);

const users = [];
for (let id = 1; id <= nUsers; id++) users.push({ user_id: id, user_name: `${pick(FIRST)} ${pick(LAST)}`, region: REGIONS[(id - 1) % REGIONS.length].region, team: id % 3 === 0 ? 'enterprise' : 'mid-market' });

const contacts = [];
const leads = [];
const leadStages = [];
const deals = [];
const dealStages = [];
const DEAL_STAGES = ['prospecting', 'qualification', 'proposal', 'negotiation'];
let dealId = 0;
for (let id = 1; id <= nLeads; id++) {
  const region = weighted(REGION_WEIGHTS);
  const first = pick(FIRST);
  const last = pick(LAST);
  const created = at(START, END - 30 * DAY);
  const owner = pick(users.filter((u) => u.region === region));
  contacts.push({ contact_id: id, full_name: `${first} ${last}`, email: `${first}.${last}.${id}@example.com`.toLowerCase(), region, consent: rand() < 0.85, created_at: ts(created) });
  leads.push({ lead_id: id, contact_id: id, owner_id: owner.user_id, source: weighted(SOURCES), created_at: ts(created) });
  leadStages.push({ lead_id: id, stage: 'lead', entered_at: ts(created) });
  let t = created;
  let reached = 'lead';
  for (const [stage, p] of [['mql', 0.6], ['sql', 0.6], ['opportunity', 0.7]]) {
    if (rand() >= p) break;
    const next = t + int(1, 15) * DAY + int(0, 86399) * 1000;
    if (next >= END) break;
    t = next;
    reached = stage;
    leadStages.push({ lead_id: id, stage, entered_at: ts(t) });
  }
  if (reached !== 'opportunity') continue;
  // A deal opens when the lead becomes an opportunity, and walks its stages until won, lost or the data ends.
  const deal = { deal_id: ++dealId, lead_id: id, contact_id: id, owner_id: owner.user_id, amount: int(5, 200) * 1000, created_at: ts(t) };
  deals.push(deal);
  dealStages.push({ deal_id: deal.deal_id, stage: 'prospecting', changed_at: ts(t) });
  for (let i = 1; i <= DEAL_STAGES.length; i++) {
    const next = t + int(2, 20) * DAY + int(0, 86399) * 1000;
    if (next >= END) break;
    t = next;
    const advance = rand() < 0.75;
    const stage = !advance ? 'closed_lost' : i < DEAL_STAGES.length ? DEAL_STAGES[i] : 'closed_won';
    dealStages.push({ deal_id: deal.deal_id, stage, changed_at: ts(t) });
    if (stage === 'closed_won') leadStages.push({ lead_id: id, stage: 'customer', entered_at: ts(t) });
    if (stage.startsWith('closed')) break;
  }
}

const TYPES = [['call', 30, 5, 45], ['email', 35, 1, 10], ['meeting', 15, 15, 90], ['demo', 8, 30, 90], ['task', 12, 5, 30]];
const activities = [];
for (let id = 1; id <= nActivities; id++) {
  const lead = pick(leads);
  const [type, , lo, hi] = weighted(TYPES.map((t) => [t, t[1]]));
  const deal = deals.find((d) => d.lead_id === lead.lead_id);
  const created = Date.parse(lead.created_at.replace(' ', 'T') + 'Z');
  const status = weighted([['completed', 80], ['open', 12], ['cancelled', 8]]);
  activities.push({
    activity_id: id,
    contact_id: lead.contact_id,
    deal_id: deal && rand() < 0.7 ? deal.deal_id : null,
    owner_id: lead.owner_id,
    activity_type: type,
    status,
    started_at: ts(at(created, END)),
    duration_min: status === 'completed' ? int(lo, hi) : null,
  });
}

writeFileSync(join(seedsDir, 'crm_regions.csv'), csv(REGIONS, ['region', 'consent_retention_years', 'no_consent_retention_days']));
writeFileSync(join(seedsDir, 'crm_users.csv'), csv(users, ['user_id', 'user_name', 'region', 'team']));
writeFileSync(join(seedsDir, 'crm_contacts.csv'), csv(contacts, ['contact_id', 'full_name', 'email', 'region', 'consent', 'created_at']));
writeFileSync(join(rawDir, 'leads.csv'), csv(leads, ['lead_id', 'contact_id', 'owner_id', 'source', 'created_at']));
writeFileSync(join(rawDir, 'lead_stage_events.csv'), csv(leadStages, ['lead_id', 'stage', 'entered_at']));
writeFileSync(join(rawDir, 'deals.csv'), csv(deals, ['deal_id', 'lead_id', 'contact_id', 'owner_id', 'amount', 'created_at']));
writeFileSync(join(rawDir, 'deal_stage_changes.csv'), csv(dealStages, ['deal_id', 'stage', 'changed_at']));

// Activities, the biggest table, as Parquet (written by DuckDB from a temporary CSV).
const tmp = join(rawDir, '.activities.csv');
writeFileSync(tmp, csv(activities, ['activity_id', 'contact_id', 'deal_id', 'owner_id', 'activity_type', 'status', 'started_at', 'duration_min']));
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const q = (s) => `'${s.replaceAll("'", "''")}'`;
await con.run(`copy (select * from read_csv(${q(tmp)}, header=true, columns={'activity_id': 'INTEGER', 'contact_id': 'INTEGER', 'deal_id': 'INTEGER', 'owner_id': 'INTEGER', 'activity_type': 'VARCHAR', 'status': 'VARCHAR', 'started_at': 'TIMESTAMP', 'duration_min': 'INTEGER'}) order by activity_id) to ${q(join(rawDir, 'activities.parquet'))} (format parquet)`);
con.closeSync?.();
rmSync(tmp);
console.log(`scale ${scale}: ${contacts.length} contacts, ${leads.length} leads, ${leadStages.length} lead stage events, ${deals.length} deals, ${dealStages.length} deal stage changes, ${activities.length} activities`);
