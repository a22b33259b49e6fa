import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { DuckDBInstance } from '@duckdb/node-api';
import { queryFile, runCli, type CliResult } from '../test-support/project.js';

/**
 * examples/crm, copied to a temporary folder and built with the real CLI. The expected figures are computed here from
 * the generated raw files (CSV parsed in JS, the Parquet file read by a DuckDB of the test's own), never from eider's
 * tables, with the project's retention rule applied by hand: a fact stays until its retain_until date (the region's
 * years with consent, its days without) has passed.
 */
const example = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/crm');
let dir: string;
let build: CliResult;
const DAY = 86400000;

type Row = Record<string, string>;
const readCsv = (path: string): Row[] => {
  const [header, ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  const names = header.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i], v])));
};
const ms = (t: string) => Date.parse(t.replace(' ', 'T') + 'Z');

let contacts: Map<number, { region: string; consent: boolean; keepYears: number; keepDays: number }>;
/** The project's retention rule, by hand: is a fact of this contact that happened at `at` still kept now? */
const kept = (contactId: number, at: number): boolean => {
  const c = contacts.get(contactId)!;
  const d = new Date(Math.floor(at / DAY) * DAY);
  const until = c.consent ? Date.UTC(d.getUTCFullYear() + c.keepYears, d.getUTCMonth(), d.getUTCDate()) : d.getTime() + c.keepDays * DAY;
  return until >= Date.now();
};
let activities: { activity_id: number; contact_id: number; activity_type: string; status: string; started_at: Date }[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eider-example-crm-'));
  for (const part of ['project.yml', 'profiles', 'models', 'seeds', 'data', 'tests', 'macros']) cpSync(join(example, part), join(dir, part), { recursive: true });
  const regions = new Map(readCsv(join(dir, 'seeds/crm_regions.csv')).map((r) => [r.region, r]));
  contacts = new Map(
    readCsv(join(dir, 'seeds/crm_contacts.csv')).map((c) => {
      const r = regions.get(c.region)!;
      return [Number(c.contact_id), { region: c.region, consent: c.consent === 'true', keepYears: Number(r.consent_retention_years), keepDays: Number(r.no_consent_retention_days) }];
    }),
  );
  const db = await (await DuckDBInstance.create()).connect();
  activities = (await db.runAndReadAll(`select activity_id, contact_id, activity_type, status, started_at from read_parquet('${join(dir, 'data/raw/activities.parquet')}')`)).getRowObjectsJS() as typeof activities;
  build = await runCli(dir, ['build']);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const db = () => join(dir, 'warehouse/dev.duckdb');

describe('the crm example project', () => {
  it('builds and tests green, unit tests included', async () => {
    expect(build.stderr).toBe('');
    expect(build.code).toBe(0);
    expect(build.stdout).toMatch(/PASS unit test pipeline_counts_open_value_and_win_rate/);
    expect(build.stdout).toMatch(/PASS test anomaly_fct_activities/);
    expect(build.stdout).not.toMatch(/WARN|FAIL|ERROR|SKIP/);
    const test = await runCli(dir, ['test']);
    expect(test.code).toBe(0);
  });

  it('keeps only the facts inside their retention, and counts activities, completion and win rates as the raw files say', async () => {
    const keptActivities = activities.filter((a) => kept(a.contact_id, a.started_at.getTime()));
    const [facts] = await queryFile(db(), 'select count(*)::int as n from facts.fct_activities');
    expect(facts.n).toBe(keptActivities.length);
    expect(keptActivities.length).toBeLessThan(activities.length); // some expired: the ones without consent
    const calls = keptActivities.filter((a) => a.activity_type === 'call');
    const [summary] = await queryFile(db(), `select sum(activities)::int as n, sum(completed)::int as done from marts.mart_activity_summary where activity_type = 'call'`);
    expect(summary).toEqual({ n: calls.length, done: calls.filter((a) => a.status === 'completed').length });

    // Win rate per region: a deal's last stage change, for the deals whose last change is still kept.
    const deals = new Map(readCsv(join(dir, 'data/raw/deals.csv')).map((d) => [d.deal_id, d]));
    const last = new Map<string, Row>();
    for (const ch of readCsv(join(dir, 'data/raw/deal_stage_changes.csv'))) if (!last.has(ch.deal_id) || ms(ch.changed_at) > ms(last.get(ch.deal_id)!.changed_at)) last.set(ch.deal_id, ch);
    const eu = [...last.values()].filter((ch) => {
      const contact = Number(deals.get(ch.deal_id)!.contact_id);
      return contacts.get(contact)!.region === 'EU' && kept(contact, ms(ch.changed_at));
    });
    const won = eu.filter((ch) => ch.stage === 'closed_won').length;
    const lost = eu.filter((ch) => ch.stage === 'closed_lost').length;
    const open = eu.filter((ch) => !ch.stage.startsWith('closed'));
    const pipeline = open.reduce((s, ch) => s + Number(deals.get(ch.deal_id)!.amount), 0);
    const [p] = await queryFile(db(), `select won_deals::int as won, lost_deals::int as lost, open_deals::int as open, pipeline_value::double as pipeline, win_rate::double as rate from marts.mart_pipeline where region = 'EU'`);
    expect(won + lost).toBeGreaterThan(0);
    expect(p).toEqual({ won, lost, open: open.length, pipeline, rate: Math.round((won / (won + lost)) * 10000) / 10000 });

    // The funnel: kept EU leads that became customers.
    const customers = new Set(readCsv(join(dir, 'data/raw/lead_stage_events.csv')).filter((e) => e.stage === 'customer').map((e) => Number(e.lead_id)));
    const euLeads = readCsv(join(dir, 'data/raw/leads.csv')).filter((l) => contacts.get(Number(l.contact_id))!.region === 'EU' && kept(Number(l.contact_id), ms(l.created_at)));
    const [funnel] = await queryFile(db(), `select leads::int as n from marts.mart_lead_funnel where region = 'EU' and stage = 'customer'`);
    expect(funnel.n).toBe(euLeads.filter((l) => customers.has(Number(l.lead_id))).length);
  });

  it('backfills a week of activities with --event-time-start/--event-time-end', async () => {
    const from = Date.UTC(2026, 5, 1);
    const inWeek = activities.filter((a) => a.started_at.getTime() >= from && a.started_at.getTime() < from + 7 * DAY);
    const expired = inWeek.filter((a) => !kept(a.contact_id, a.started_at.getTime())).length;
    const r = await runCli(dir, ['run', '-s', 'fct_activities', '--event-time-start', '2026-06-01', '--event-time-end', '2026-06-08']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`OK updated incremental facts.fct_activities`);
    expect(r.stdout).toMatch(new RegExp(`${inWeek.length.toLocaleString('en-US')} rows, ${expired} expired\\]`));
  });

  it('exports a fact filtered by region and days to CSV and JSON', async () => {
    const since = Date.UTC(2026, 5, 24);
    const expected = activities
      .filter((a) => contacts.get(a.contact_id)!.region === 'EU' && a.started_at.getTime() >= since && kept(a.contact_id, a.started_at.getTime()))
      .map((a) => a.activity_id)
      .sort((x, y) => x - y);
    const where = `region = 'EU' and started_at >= date '2026-06-24'`;
    const csv = await runCli(dir, ['export', '-s', 'fct_activities', '--where', where, '--out', 'output/eu.csv']);
    expect(csv.code).toBe(0);
    const ids = readCsv(join(dir, 'output/eu.csv')).map((r) => Number(r.activity_id)).sort((x, y) => x - y);
    expect(ids).toEqual(expected);
    const json = await runCli(dir, ['export', '-s', 'fct_activities', '--where', where, '--out', 'output/eu.json']);
    expect(json.code).toBe(0);
    const rows = readFileSync(join(dir, 'output/eu.json'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { activity_id: number; region: string });
    expect(rows.map((r) => r.activity_id).sort((x, y) => x - y)).toEqual(expected);
    expect(new Set(rows.map((r) => r.region))).toEqual(new Set(['EU']));
  });

  it('erases a contact from every fact and the seed, and keeps them erased through the next build', async () => {
    // A consenting contact with kept activities and a deal.
    const deals = readCsv(join(dir, 'data/raw/deals.csv'));
    const subject = deals.map((d) => Number(d.contact_id)).find((c) => contacts.get(c)!.consent && activities.some((a) => a.contact_id === c))!;
    const count = async () =>
      (await queryFile(db(), `select (select count(*) from facts.fct_activities where contact_id = ${subject}) + (select count(*) from facts.fct_deal_stage_transitions where contact_id = ${subject}) + (select count(*) from facts.fct_lead_conversions where contact_id = ${subject}) + (select count(*) from raw.crm_contacts where contact_id = ${subject}) as n`))[0].n;
    expect(Number(await count())).toBeGreaterThan(0);
    const erase = await runCli(dir, ['erase', '--key', `contact_id=${subject}`]);
    expect(erase.code).toBe(0);
    expect(erase.stdout).toMatch(/facts\.fct_activities +\d+ rows? deleted/);
    expect(Number(await count())).toBe(0);
    const again = await runCli(dir, ['build']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/raw\.crm_contacts .*1 erased/);
    expect(Number(await count())).toBe(0);
  });

  it('has its committed data from the generator: deterministic, scale 1 written under --out', () => {
    const out = join(dir, 'generated');
    execFileSync(process.execPath, [join(example, 'scripts/generate-data.mjs'), '--scale', '1', '--out', out]);
    const files = ['seeds/crm_regions.csv', 'seeds/crm_users.csv', 'seeds/crm_contacts.csv', 'data/raw/leads.csv', 'data/raw/lead_stage_events.csv', 'data/raw/deals.csv', 'data/raw/deal_stage_changes.csv', 'data/raw/activities.parquet'];
    expect(readdirSync(out).sort()).toEqual(files.map((f) => f.split('/').pop()).sort());
    for (const f of files) expect(readFileSync(join(out, f.split('/').pop()!)).equals(readFileSync(join(example, f))), f).toBe(true);
  });
});
