/**
 * Values read from the environment are secrets: they are used to run SQL but never shown.
 * Every path that prints, logs or writes an artifact passes its text through `redact`, and every
 * value written as JSON through `redactDeep` (before it is serialized, where escaping would hide it).
 */
const secrets = new Set<string>();
let pattern: RegExp | undefined;

export const REDACTED = '*****';

/**
 * Registers a secret with the forms SQL and JSON writers escape it to (a quote doubled, a backslash
 * or newline escaped), so text that quotes it in a SQL literal, identifier or JSON string is redacted too.
 */
export function registerSecret(value: string): void {
  if (value.length < 3 || secrets.has(value)) return; // too short to redact without destroying all text
  for (const form of [value, value.replaceAll("'", "''"), value.replaceAll('"', '""'), JSON.stringify(value).slice(1, -1)]) secrets.add(form);
  const escaped = [...secrets].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  // Case-insensitive: DuckDB folds identifiers, so a secret used as a name comes back lower-cased in its messages
  // (and eider's own lookups lower-case names too).
  pattern = new RegExp(escaped.join('|'), 'gi');
}

/** Whether a text holds a secret (a value derived from one is a secret too). */
export function holdsSecret(text: string): boolean {
  return pattern !== undefined && new RegExp(pattern.source, 'i').test(text);
}

export function redact(text: string): string {
  return pattern ? text.replace(pattern, REDACTED) : text;
}

/** Redacts every string (and key) inside a JSON-like value, before it is serialized. */
export function redactDeep<T>(value: T): T {
  return pattern ? (redactValue(value) as T) : value;
}

function redactValue(value: unknown): unknown {
  if (typeof value === 'string') return redact(value);
  if (value === null || typeof value !== 'object') return value;
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === 'function') return redactValue(json.call(value));
  if (Array.isArray(value)) return value.map(redactValue);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k), redactValue(v)]));
}
