import { afterEach, describe, expect, it } from 'vitest';
import { testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const events = (rows: string[]) => `event_id,amount,occurred_at\n${rows.join('\n')}\n`;
const days1to4 = ['1,10,2024-01-01 09:00:00', '2,20,2024-01-02 09:00:00', '3,30,2024-01-03 09:00:00', '4,40,2024-01-04 09:00:00'];
const model = '{{config materialized="incremental" incremental_strategy="microbatch" event_time="occurred_at" batch_size="day" lookback=1 begin="2024-01-01"}}\nselect event_id, amount, occurred_at from {{ref "events"}}\n';
const all = () => p!.query('select event_id::int as id, amount::int as amount from main.daily_events order by 1');

describe('microbatch incremental models', () => {
  it('re-process the newest batches (with lookback) on each run, giving what a full refresh gives', async () => {
    p = testProject({ 'seeds/events.csv': events(days1to4), 'models/daily_events.sql': model });
    const first = await p.run('build');
    expect(first.stdout).toMatch(/OK created incremental main\.daily_events .*4 rows/);
    // Day 4 corrected (inside the lookback), day 5 arrives, and day 2 changes (outside it: kept as built).
    p.write('seeds/events.csv', events(['1,10,2024-01-01 09:00:00', '2,99,2024-01-02 09:00:00', '3,30,2024-01-03 09:00:00', '4,44,2024-01-04 09:00:00', '5,50,2024-01-05 09:00:00']));
    const second = await p.run('build');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/OK updated incremental main\.daily_events/);
    expect(await all()).toEqual([
      { id: 1, amount: 10 },
      { id: 2, amount: 20 },
      { id: 3, amount: 30 },
      { id: 4, amount: 44 },
      { id: 5, amount: 50 },
    ]);
    // A backfill window re-processes day 2 only.
    const backfill = await p.run('run', '--event-time-start', '2024-01-02', '--event-time-end', '2024-01-03');
    expect(backfill.stdout).toMatch(/OK updated incremental main\.daily_events .*1 row/);
    const incremental = await all();
    expect(incremental.find((r) => r.id === 2)).toEqual({ id: 2, amount: 99 });
    expect((await p.run('build')).code).toBe(0); // once more: nothing duplicates
    expect(await all()).toEqual(incremental);
    expect((await p.run('run', '--full-refresh')).code).toBe(0);
    expect(await all()).toEqual(incremental);
  });

  it('bad input: microbatch without event_time, a bad batch_size, a bad --event-time-start', async () => {
    p = testProject({ 'seeds/events.csv': events(days1to4), 'models/daily_events.sql': '{{config materialized="incremental" incremental_strategy="microbatch"}}\nselect * from {{ref "events"}}' });
    const r = await p.run('build');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^models\/daily_events\.sql:1: model "daily_events": incremental_strategy microbatch needs event_time/m);
    p.write('models/daily_events.sql', '{{config materialized="incremental" incremental_strategy="microbatch" event_time="occurred_at" batch_size="week"}}\nselect * from {{ref "events"}}');
    expect((await p.run('build')).stderr).toMatch(/batch_size must be one of hour, day, month, not "week"/);
    p.write('models/daily_events.sql', model);
    const flag = await p.run('run', '--event-time-start', 'yesterday-ish');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--event-time-start must be a date or timestamp/);
    const backwards = await p.run('run', '--event-time-start', '2024-01-05', '--event-time-end', '2024-01-03');
    expect(backwards.code).toBe(2);
    expect(backwards.stderr.trim()).toBe('--event-time-start (2024-01-05) must be before --event-time-end (2024-01-03): the window is [start, end)');
  });
});
