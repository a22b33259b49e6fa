import { usageError } from '../errors.js';
import { nextFire, previousFire, type Schedule } from './schedules.js';

/** What the scheduler reads the time from and waits on: the system's, or a fake one in tests. */
export interface Clock {
  now(): Date;
  /** Calls `fn` once `ms` of this clock's time have passed; returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => new Date(),
  after: (ms, fn) => {
    const t = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(t);
  },
};

/** The test-only clock of `EIDER_CLOCK`: starts at `start` and runs `speed` times as fast as the system's. */
export function scaledClock(start: Date, speed: number): Clock {
  const t0 = Date.now();
  return {
    now: () => new Date(start.getTime() + (Date.now() - t0) * speed),
    after: (ms, fn) => systemClock.after(ms / speed, fn),
  };
}

/** The environment variable that starts `eider schedule` on a fake clock (tests only): `2026-01-01T00:59:58Z@60`. */
export const CLOCK_ENV = 'EIDER_CLOCK';

/** `EIDER_CLOCK="<ISO time>[@<speed>]"`, or the system clock when it is unset. */
export function clockFromEnv(value: string | undefined): Clock {
  if (value === undefined || value === '') return systemClock;
  const m = /^([^@]+)(?:@(\d+(?:\.\d+)?))?$/.exec(value);
  const start = m ? new Date(m[1]) : new Date(NaN);
  const speed = m?.[2] !== undefined ? Number(m[2]) : 1;
  if (Number.isNaN(start.getTime()) || !(speed > 0)) throw usageError(`${CLOCK_ENV} must be <ISO time>[@<speed>], e.g. 2026-01-01T00:59:58Z@60 (a test-only fake clock); got "${value}"`);
  return scaledClock(start, speed);
}

/** A build the scheduler started: its exit, and a way to signal it. */
export interface Launched {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

export type RunStatus = 'success' | 'failed' | 'timed_out' | 'interrupted';

/** One line of the scheduler's log, each with the schedule and target it is about. */
export type ScheduleEvent =
  | { readonly kind: 'started'; readonly at: Date; readonly schedule: string; readonly target: string; readonly attempt: number; readonly attempts: number; readonly due: Date }
  | { readonly kind: 'retried'; readonly at: Date; readonly schedule: string; readonly target: string; readonly attempt: number; readonly attempts: number; readonly exitCode: number; readonly waitMs: number }
  | { readonly kind: 'timed_out'; readonly at: Date; readonly schedule: string; readonly target: string; readonly timeoutS: number; readonly graceMs: number }
  | { readonly kind: 'finished'; readonly at: Date; readonly schedule: string; readonly target: string; readonly status: RunStatus; readonly exitCode: number; readonly durationMs: number; readonly attempts: number; readonly release?: string; readonly swap: boolean }
  | { readonly kind: 'waiting' | 'skipped'; readonly at: Date; readonly schedule: string; readonly target: string; readonly due: Date; readonly reason: string }
  | { readonly kind: 'missed'; readonly at: Date; readonly schedule: string; readonly target: string; readonly lastRun: Date; readonly due: Date; readonly policy: Schedule['missed'] }
  | { readonly kind: 'scheduler_started'; readonly at: Date; readonly schedules: number }
  | { readonly kind: 'scheduler_stopping'; readonly at: Date; readonly signal: string; readonly running: number; readonly waiting: number }
  | { readonly kind: 'scheduler_stopped'; readonly at: Date };

/** What the scheduler learns from a target after a run: the release readers now see. */
export interface AfterRun {
  readonly release?: string;
  /** The target publishes by swap: a failed run published nothing. */
  readonly swap: boolean;
}

export interface SchedulerDeps {
  readonly clock: Clock;
  readonly schedules: readonly Schedule[];
  /** The target of schedules that name none. */
  readonly defaultTarget: string;
  /** Each target's retry policy (profiles.yml `retries:`): a failed run is tried again after backoff, 2× backoff, … */
  readonly retries: (target: string) => { readonly attempts: number; readonly backoffMs: number };
  /** Starts the build of a schedule (a child process of the eider CLI). */
  readonly launch: (s: Schedule, target: string) => Launched;
  readonly log: (e: ScheduleEvent) => void;
  /** A due run was skipped because its target was busy. */
  readonly onRunSkipped: (s: Schedule, target: string, reason: string) => void;
  /** Another process holding the target's build lock, described; undefined when none does. */
  readonly heldElsewhere: (target: string) => string | undefined;
  /** The last run of each schedule in its target's history, read once at the start (for the missed-run policy). */
  readonly lastRuns: ReadonlyMap<string, Date>;
  /** Reads the target once a run is over (the release it publishes now); never throws. */
  readonly afterRun: (s: Schedule, target: string, status: RunStatus, durationMs: number) => Promise<AfterRun>;
  /** How long (real time) a signalled build has to exit before it gets SIGKILL. */
  readonly killGraceMs: number;
}

interface Due {
  readonly schedule: Schedule;
  readonly at: Date;
}

/** A due run waiting for its target, and the promise of how it ends. */
interface Waiting extends Due {
  readonly resolve: (status: RunStatus | undefined) => void;
}

/** How often (clock time) a run waiting for another process's lock looks again. */
const LOCK_POLL_MS = 5_000;
/** Timers are re-armed at least daily, so a far fire time never overflows a timer and a clock jump is noticed. */
const MAX_WAIT_MS = 24 * 3600_000;

/**
 * Runs schedules as builds, never two on one target at once: a run due while its target is busy waits for it
 * or is skipped (`on_overlap`). A failed build (exit 1) is tried again with the target's backoff; an attempt past
 * `timeout` gets SIGTERM (the build stops and publishes nothing), then SIGKILL after `killGraceMs`.
 */
export class Scheduler {
  private readonly running = new Map<string, { schedule: Schedule; child?: Launched }>();
  private readonly waiting = new Map<string, Waiting[]>();
  private readonly cancels = new Set<() => void>();
  /** Runs waiting out a retry's backoff: woken at once by `stop()`. */
  private readonly sleepers = new Set<() => void>();
  private readonly runs = new Set<Promise<RunStatus>>();
  private stopping = false;
  private stoppedResolve!: () => void;
  /** Resolves once `stop()` has finished every running build. */
  readonly stopped = new Promise<void>((r) => (this.stoppedResolve = r));

  constructor(private readonly deps: SchedulerDeps) {}

  private targetOf(s: Schedule): string {
    return s.target ?? this.deps.defaultTarget;
  }

  /** Arms every schedule; first runs, once, each schedule that missed fire times while nothing ran it (`missed: run_once`). */
  start(): void {
    const now = this.deps.clock.now();
    this.deps.log({ kind: 'scheduler_started', at: now, schedules: this.deps.schedules.length });
    for (const s of this.deps.schedules) {
      const last = this.deps.lastRuns.get(s.name);
      const due = previousFire(s, now);
      if (last && due && last < due) {
        this.deps.log({ kind: 'missed', at: now, schedule: s.name, target: this.targetOf(s), lastRun: last, due, policy: s.missed });
        if (s.missed === 'run_once') this.request({ schedule: s, at: due });
      }
      this.arm(s, now);
    }
  }

  /** Runs one schedule now (`--once`) and resolves with how it ended (undefined when it was skipped). */
  async runNow(s: Schedule): Promise<RunStatus | undefined> {
    return this.request({ schedule: s, at: this.deps.clock.now() });
  }

  /** Starts no more runs; signals the running builds (they stop safely and publish nothing) and waits for them. */
  async stop(signal: NodeJS.Signals): Promise<void> {
    if (this.stopping) {
      // A second signal: no more waiting for the builds.
      for (const r of this.running.values()) r.child?.kill('SIGKILL');
      return;
    }
    this.stopping = true;
    for (const cancel of this.cancels) cancel();
    this.cancels.clear();
    for (const wake of [...this.sleepers]) wake();
    const waiting = [...this.waiting.values()].flat();
    this.waiting.clear();
    for (const w of waiting) w.resolve(undefined);
    this.deps.log({ kind: 'scheduler_stopping', at: this.deps.clock.now(), signal, running: this.running.size, waiting: waiting.length });
    for (const r of this.running.values()) this.signal(r.child, signal);
    await Promise.allSettled([...this.runs]);
    this.deps.log({ kind: 'scheduler_stopped', at: this.deps.clock.now() });
    this.stoppedResolve();
  }

  private after(ms: number, fn: () => void): void {
    const cancel = this.deps.clock.after(ms, () => {
      this.cancels.delete(cancel);
      fn();
    });
    this.cancels.add(cancel);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.sleepers.delete(wake);
        resolve();
      };
      this.sleepers.add(wake);
      this.after(ms, wake);
    });
  }

  /** Wakes at the schedule's next fire time after `from` (re-checking at least daily). */
  private arm(s: Schedule, from: Date): void {
    const next = nextFire(s, from);
    if (!next || this.stopping) return;
    const wake = () => {
      if (this.stopping) return;
      const now = this.deps.clock.now();
      if (now < next) return this.after(Math.min(next.getTime() - now.getTime(), MAX_WAIT_MS), wake);
      // From now, not from `next`: after a suspend, the fire times passed meanwhile are one run, not a burst.
      this.arm(s, now);
      void this.request({ schedule: s, at: next });
    };
    this.after(Math.min(next.getTime() - from.getTime(), MAX_WAIT_MS), wake);
  }

  /** A run is due: it starts, waits for its target, or is skipped. */
  private request(due: Due): Promise<RunStatus | undefined> {
    const s = due.schedule;
    const target = this.targetOf(s);
    const queue = this.waiting.get(target) ?? [];
    const busy = this.running.get(target);
    const held = busy ? undefined : this.deps.heldElsewhere(target);
    if (!busy && !held && queue.length === 0) return this.track(this.run(due, target));
    const now = this.deps.clock.now();
    const reason = queue.some((d) => d.schedule === s)
      ? `a run of schedule "${s.name}" is already waiting for ${target}`
      : busy
        ? `schedule "${busy.schedule.name}" is running on ${target}`
        : held
          ? `${held} holds ${target}`
          : `schedule "${queue[0].schedule.name}" is waiting for ${target}`;
    if (s.onOverlap === 'skip' || queue.some((d) => d.schedule === s)) {
      this.deps.log({ kind: 'skipped', at: now, schedule: s.name, target, due: due.at, reason });
      this.deps.onRunSkipped(s, target, reason);
      return Promise.resolve(undefined);
    }
    this.deps.log({ kind: 'waiting', at: now, schedule: s.name, target, due: due.at, reason });
    return new Promise((resolve) => {
      queue.push({ ...due, resolve });
      this.waiting.set(target, queue);
      if (!busy) this.pollLock(target);
    });
  }

  private track(run: Promise<RunStatus>): Promise<RunStatus> {
    this.runs.add(run);
    void run.finally(() => this.runs.delete(run));
    return run;
  }

  /** A target held by another process: looks again until it is free, then starts what waits for it. */
  private pollLock(target: string): void {
    this.after(LOCK_POLL_MS, () => {
      if (this.running.has(target)) return;
      if (this.deps.heldElsewhere(target)) return this.pollLock(target);
      this.next(target);
    });
  }

  /** Starts the first run waiting for `target`. */
  private next(target: string): void {
    const queue = this.waiting.get(target);
    const due = queue?.shift();
    if (queue && queue.length === 0) this.waiting.delete(target);
    if (!due || this.stopping) return due?.resolve(undefined);
    if (this.deps.heldElsewhere(target)) {
      queue!.unshift(due);
      this.waiting.set(target, queue!);
      return this.pollLock(target);
    }
    void this.track(this.run(due, target)).then(due.resolve);
  }

  /** One run: attempts with backoff, each with its timeout; then the target is read and the next waiting run starts. */
  private async run(due: Due, target: string): Promise<RunStatus> {
    const s = due.schedule;
    const slot: { schedule: Schedule; child?: Launched } = { schedule: s };
    this.running.set(target, slot);
    const started = this.deps.clock.now().getTime();
    const { attempts, backoffMs } = this.deps.retries(target);
    let status: RunStatus = 'failed';
    let exitCode = 1;
    let attempt = 1;
    try {
      for (; ; attempt++) {
        this.deps.log({ kind: 'started', at: this.deps.clock.now(), schedule: s.name, target, attempt, attempts, due: due.at });
        const { code, timedOut } = await this.attempt(s, target, slot);
        exitCode = code;
        status = code === 0 ? 'success' : timedOut ? 'timed_out' : this.stopping ? 'interrupted' : 'failed';
        // Only a failed build is tried again: not a project mistake (2), a signal (130/143) or a timeout.
        if (status !== 'failed' || code !== 1 || attempt >= attempts) break;
        const waitMs = backoffMs * 2 ** (attempt - 1);
        this.deps.log({ kind: 'retried', at: this.deps.clock.now(), schedule: s.name, target, attempt: attempt + 1, attempts, exitCode: code, waitMs });
        await this.sleep(waitMs);
        if (this.stopping) {
          status = 'interrupted';
          break;
        }
      }
    } finally {
      const durationMs = this.deps.clock.now().getTime() - started;
      const facts = await this.deps.afterRun(s, target, status, durationMs);
      this.deps.log({ kind: 'finished', at: this.deps.clock.now(), schedule: s.name, target, status, exitCode, durationMs, attempts: attempt, release: facts.release, swap: facts.swap });
      this.running.delete(target);
      this.next(target);
    }
    return status;
  }

  private async attempt(s: Schedule, target: string, slot: { child?: Launched }): Promise<{ code: number; timedOut: boolean }> {
    const child = this.deps.launch(s, target);
    slot.child = child;
    let timedOut = false;
    let cancelTimeout: (() => void) | undefined;
    if (s.timeoutS !== undefined) {
      cancelTimeout = this.deps.clock.after(s.timeoutS * 1000, () => {
        timedOut = true;
        this.deps.log({ kind: 'timed_out', at: this.deps.clock.now(), schedule: s.name, target, timeoutS: s.timeoutS!, graceMs: this.deps.killGraceMs });
        this.signal(child, 'SIGTERM');
      });
    }
    const { code, signal } = await child.exited;
    cancelTimeout?.();
    slot.child = undefined;
    return { code: code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGKILL' ? 137 : 143), timedOut };
  }

  /** Sends `signal`, then SIGKILL when the build has not exited within the grace period (real time). */
  private signal(child: Launched | undefined, signal: NodeJS.Signals): void {
    if (!child) return;
    child.kill(signal);
    const t = setTimeout(() => child.kill('SIGKILL'), this.deps.killGraceMs);
    void child.exited.finally(() => clearTimeout(t));
  }
}
