/** A user mistake, located in a file when we know where. Reported, never thrown past a stage boundary. */
export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
  readonly nodeId?: string;
}

/** Thrown to end a command with exit code 2: the project, profile or command line is wrong. */
export class UsageError extends Error {
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'UsageError';
  }
}

export function usageError(message: string, file?: string, line?: number): UsageError {
  return new UsageError([{ severity: 'error', message, file, line }]);
}

/** Throws a UsageError when any diagnostic is an error. */
export function failOnErrors(diagnostics: readonly Diagnostic[]): void {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new UsageError(errors);
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file ? `${d.file}${d.line ? `:${d.line}` : ''}: ` : '';
  const prefix = d.severity === 'warning' ? 'warning: ' : '';
  return `${where}${prefix}${d.message}`;
}

/** Levenshtein distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** ` (did you mean "x"?)` for the closest candidate, or '' when none is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestScore) {
      bestScore = d;
      best = c;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return best !== undefined && bestScore <= limit ? ` (did you mean "${best}"?)` : '';
}

/** Failures worth trying again: a lock held by another process (a reader of a dev file), I/O hiccups. Never SQL errors. */
export function isTransient(message: string): boolean {
  return /could not set lock|conflicting lock|resource temporarily unavailable|input\/output error|too many open files|interrupted system call|EAGAIN|EBUSY/i.test(message);
}

/** Runs `f`, trying again after `backoffMs`, then twice that, … while it fails with a transient error. */
export async function withRetries<T>(policy: { attempts: number; backoffMs: number }, f: () => Promise<T>, onRetry: (attempt: number, error: Error, waitMs: number) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await f();
    } catch (e) {
      const error = e as Error;
      if (attempt >= policy.attempts || !isTransient(String(error.message))) throw e;
      const waitMs = policy.backoffMs * 2 ** (attempt - 1);
      onRetry(attempt, error, waitMs);
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
}

/** The target file exists but cannot be opened now (locked, unreadable): exit 1, not a project error. */
export class OpenError extends Error {
  override readonly name = 'OpenError';
}
