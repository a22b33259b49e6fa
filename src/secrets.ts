/**
 * Values read from the environment are secrets: they are used to run SQL but never shown.
 * Every path that prints, logs or writes an artifact passes its text through `redact`.
 */
const secrets = new Set<string>();
let pattern: RegExp | undefined;

export const REDACTED = '*****';

export function registerSecret(value: string): void {
  if (value.length < 3 || secrets.has(value)) return; // too short to redact without destroying all text
  secrets.add(value);
  const escaped = [...secrets].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  pattern = new RegExp(escaped.join('|'), 'g');
}

export function redact(text: string): string {
  return pattern ? text.replace(pattern, REDACTED) : text;
}

/** Redacts every string inside a JSON-like value. */
export function redactDeep<T>(value: T): T {
  if (!pattern) return value;
  return JSON.parse(redact(JSON.stringify(value))) as T;
}
