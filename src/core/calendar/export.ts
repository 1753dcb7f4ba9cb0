import type { Instant } from '../time.js';
import type { ScheduleEntry } from './entry.js';

const encoder = new TextEncoder();

/** TEXT escaping (RFC 5545 §3.3.11). */
export function escapeText(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r?\n/g, '\\n');
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
  return new Date(at)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * The schedule as an iCalendar document (CRLF, folded). `now` stamps DTSTAMP; an entry still live
 * ends at `now` so calendar apps draw it up to the moment of export.
 */
export function toICalendar(
  entries: readonly ScheduleEntry[],
  now: Instant,
  name = 'onair',
): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//onair//schedule//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${escapeText(name)}`,
  ];
  for (const e of entries) {
    const end = e.end ?? Math.max(now, e.start);
    lines.push(
      'BEGIN:VEVENT',
      `UID:${escapeText(e.id)}@onair`,
      `DTSTAMP:${formatUtc(now)}`,
      `DTSTART:${formatUtc(e.start)}`,
      `DTEND:${formatUtc(end)}`,
      `SUMMARY:${escapeText(e.title)}`,
    );
    const description = [e.description, e.channelId === null ? null : `channel: ${e.channelId}`]
      .filter((d): d is string => d !== null)
      .join('\n');
    if (description !== '') lines.push(`DESCRIPTION:${escapeText(description)}`);
    if (e.url !== null) lines.push(`URL:${e.url.replace(/[\r\n]/g, '')}`);
    if (e.channelId !== null) lines.push(`CATEGORIES:${escapeText(e.channelId)}`);
    lines.push(`X-ONAIR-SOURCE:${e.source}`, 'END:VEVENT');
  }
  lines.push('END:VCALENDAR');
  return lines.map(foldLine).join('\r\n') + '\r\n';
}
