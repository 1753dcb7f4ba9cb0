/** Display helpers. Times are shown in the browser's zone and locale. */

export function displayName(c: { id: string; name: string | null }): string {
  return c.name ?? c.id;
}

/** `1h 05m`, `12m`, `40s` since an ISO time. */
export function since(iso: string | null, now: number): string {
  if (iso === null) return '';
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1_000));
  const h = Math.floor(s / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m`;
  return `${s}s`;
}

export function dateTime(iso: string | null): string {
  return iso === null
    ? '—'
    : new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function time(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

export function viewers(n: number | null): string {
  return n === null ? '' : `${new Intl.NumberFormat().format(n)} watching`;
}

/** Local date as `YYYY-MM-DD`. */
export function isoDay(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export function parseDay(text: string | null): Date {
  const m = text === null ? null : /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const d = m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : new Date();
  d.setHours(0, 0, 0, 0);
  return d;
}

export function addDays(d: Date, n: number): Date {
  const x = new Date(d);
  x.setDate(x.getDate() + n);
  return x;
}

/** Ticks a `$state` clock for "live for" labels. */
export const clock = $state({ now: Date.now() });
setInterval(() => {
  clock.now = Date.now();
}, 5_000);
