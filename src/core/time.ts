/** A point in time: milliseconds since the Unix epoch. */
export type Instant = number;

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
// Sticky: the parts are read back to back from where the last ended (linear, no scan for a start).
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
/** The longest duration any input may give (100 years): sums and dates stay exact and valid. */
export const MAX_DURATION_MS = 100 * 365 * UNIT_MS.d;
/** The largest instant a `Date` can hold (ECMA-262 §21.4.1.1). */
const MAX_DATE_MS = 8.64e15;

/**
 * Parses a duration string such as `200ms`, `5s`, `10m`, `1h` or `1h30m` into milliseconds.
 * Returns `undefined` for anything else and for more than `MAX_DURATION_MS`, so callers can
 * report the field that was wrong.
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  const ms = Math.round(total);
  return Number.isFinite(ms) && ms <= MAX_DURATION_MS ? ms : undefined;
}

/**
 * An instant as ISO 8601 text, or null when there is none or it lies outside what a `Date` can
 * hold: a view never throws on a stored value (a `1000000000d` token TTL once made every token
 * listing answer 500).
 */
export function isoOrNull(t: Instant | null): string | null {
  return t !== null && Number.isFinite(t) && Math.abs(t) <= MAX_DATE_MS
    ? new Date(t).toISOString()
    : null;
}

/** Formats milliseconds as the largest whole units, e.g. `90_000` → `1m30s`. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1_000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1_000);
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('');
}
