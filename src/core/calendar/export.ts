import type { Instant } from '../time.js';
import type { ScheduleEntry } from './entry.js';
import { utcLocal } from './zone.js';

const DAY_MS = 86_400_000;

const encoder = new TextEncoder();

/**
 * TEXT escaping (RFC 5545 §3.3.11): backslash, semicolon and comma escaped; every line break
 * (CRLF, LF, or a lone CR) becomes `\n`; other control characters, which TEXT does not allow, are
 * dropped.
 */
export function escapeText(value: string): string {
  return (
    value
      .replace(/\\/g, '\\\\')
      .replace(/;/g, '\\;')
      .replace(/,/g, '\\,')
      .replace(/\r\n|\r|\n/g, '\\n')
      // eslint-disable-next-line no-control-regex -- exactly the characters TEXT excludes
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
  );
}

/** Folds a content line at 75 octets without splitting a UTF-8 character (§3.1). */
export function foldLine(line: string): string {
  if (encoder.encode(line).length <= 75) return line;
  const parts: string[] = [];
  let current = '';
  let size = 0;
  let limit = 75;
  for (const ch of line) {
    const n = encoder.encode(ch).length;
    if (size + n > limit) {
      parts.push(current);
      current = '';
      size = 0;
      limit = 74; // continuation lines start with a space
    }
    current += ch;
    size += n;
  }
  parts.push(current);
  return parts.join('\r\n ');
}

export function formatUtc(at: Instant): string {
  const t = utcLocal(at);
  return `${formatDate(at)}T${pad(t.hour)}${pad(t.minute)}${pad(t.second)}Z`;
}

/** The UTC date of `at` as an iCalendar DATE (`20260308`). */
export function formatDate(at: Instant): string {
  const t = utcLocal(at);
  return `${String(t.year).padStart(4, '0')}${pad(t.month)}${pad(t.day)}`;
}

const pad = (n: number) => String(n).padStart(2, '0');

export interface ExportOptions {
  readonly name?: string;
  /** How often subscribers should refetch (RFC 7986 REFRESH-INTERVAL, and X-PUBLISHED-TTL). */
  readonly refreshMinutes?: number;
}

/**
 * The schedule as an iCalendar document (CRLF, every text escaped, every line folded). `now`
 * stamps DTSTAMP; an entry still live ends at `now` so calendar apps draw it up to the moment of
 * export. All-day entries are written as DATE values.
 */
export function toICalendar(
  entries: readonly ScheduleEntry[],
  now: Instant,
  options: ExportOptions = {},
): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//onair//schedule//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${escapeText(options.name ?? 'onair')}`,
  ];
  if (options.refreshMinutes !== undefined) {
    lines.push(
      `REFRESH-INTERVAL;VALUE=DURATION:PT${options.refreshMinutes}M`,
      `X-PUBLISHED-TTL:PT${options.refreshMinutes}M`,
    );
  }
  for (const e of entries) {
    const end = e.end ?? Math.max(now, e.start);
    lines.push('BEGIN:VEVENT', `UID:${escapeText(e.id)}@onair`, `DTSTAMP:${formatUtc(now)}`);
    if (e.allDay) {
      lines.push(
        `DTSTART;VALUE=DATE:${formatDate(e.start)}`,
        `DTEND;VALUE=DATE:${formatDate(Math.max(end, e.start + DAY_MS))}`,
      );
    } else {
      lines.push(`DTSTART:${formatUtc(e.start)}`, `DTEND:${formatUtc(end)}`);
    }
    lines.push(`SUMMARY:${escapeText(e.title)}`);
    const description = [e.description, e.channelId === null ? null : `channel: ${e.channelId}`]
      .filter((d): d is string => d !== null)
      .join('\n');
    if (description !== '') lines.push(`DESCRIPTION:${escapeText(description)}`);
    // A URI is not TEXT: nothing to escape, but no control character may reach the line.
    // eslint-disable-next-line no-control-regex -- exactly the characters a content line excludes
    if (e.url !== null) lines.push(`URL:${e.url.replace(/[\u0000-\u001f\u007f]/g, '')}`);
    if (e.channelId !== null) lines.push(`CATEGORIES:${escapeText(e.channelId)}`);
    lines.push(`X-ONAIR-SOURCE:${e.source}`, 'END:VEVENT');
  }
  lines.push('END:VCALENDAR');
  return lines.map(foldLine).join('\r\n') + '\r\n';
}
