import { clipUtf8, wellFormed } from '../text.js';
import type { Instant } from '../time.js';

/** The default file name template: one directory per channel and day. */
export const DEFAULT_TEMPLATE = '{channel}/{date}/{time}-{title}.ts';

/** Fields a template may use. */
export const TEMPLATE_FIELDS = [
  'channel',
  'platform',
  'date',
  'time',
  'title',
  'session',
  'part',
] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

export interface NameFields {
  readonly channel: string;
  readonly platform: string;
  readonly title: string | null;
  /** When the part starts (names use UTC, so they sort and never repeat at a DST change). */
  readonly startedAt: Instant;
  readonly session: string;
  /** 1 for a session's first part. */
  readonly part: number;
}

const FIELD = /\{([^{}]*)\}/g;
const MAX_SEGMENT_BYTES = 200;
const MAX_TITLE_CHARS = 80;

/** A problem with a template (unknown field, no file name), or null. */
export function templateProblem(template: string): string | null {
  for (const match of template.matchAll(FIELD)) {
    const name = match[1] ?? '';
    if (!(TEMPLATE_FIELDS as readonly string[]).includes(name))
      return `unknown field {${name}} (known: ${TEMPLATE_FIELDS.map((f) => `{${f}}`).join(', ')})`;
  }
  if (template.trim() === '' || template.endsWith('/')) return 'must name a file';
  if (template.startsWith('/')) return 'must be relative to recordings.dir';
  return null;
}

/**
 * Characters that are unsafe or awkward in file names on any common file system, and control
 * characters. A value can never introduce a directory: its `/` and `\` are replaced too.
 */
function cleanValue(value: string): string {
  return (
    wellFormed(value)
      // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
      .replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, '_')
      .replace(/\s+/g, ' ')
      .trim()
  );
}

/** A path segment that is safe: no `.`/`..`, no leading dots or trailing dots and spaces, bounded length. */
function cleanSegment(segment: string, maxBytes = MAX_SEGMENT_BYTES): string {
  const s = clipUtf8(trimDotsAndSpaces(segment), maxBytes);
  return s === '' ? '_' : s;
}

/** `s` without leading and trailing dots and white space, in one pass from each end. */
function trimDotsAndSpaces(s: string): string {
  const strip = (c: string | undefined) => c === '.' || (c !== undefined && c.trim() === '');
  let start = 0;
  let end = s.length;
  while (start < end && strip(s[start])) start++;
  while (end > start && strip(s[end - 1])) end--;
  return s.slice(start, end);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * The relative path (`/`-separated) of a recording part: the template with its fields filled
 * and sanitised, the template's extension replaced by the container's (`ts`, `mp4`, `flv`), and
 * `-partN` before it from the second part of a session on. The result never starts with `/` and
 * has no `.` or `..` segment; the caller still checks that it resolves inside the directory.
 */
export function recordingPath(template: string, fields: NameFields, extension: string): string {
  const d = new Date(fields.startedAt);
  const values: Record<TemplateField, string> = {
    channel: fields.channel,
    platform: fields.platform,
    date: `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
    time: `${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}`,
    title:
      Array.from(fields.title ?? '')
        .slice(0, MAX_TITLE_CHARS)
        .join('') || 'untitled',
    session: fields.session,
    part: String(fields.part),
  };
  const filled = template.replace(FIELD, (_m, name: string) =>
    cleanValue((values as Record<string, string | undefined>)[name] ?? ''),
  );
  const segments = filled
    .split(/[/\\]+/)
    .filter((s) => s !== '' && s !== '.')
    .map((s) => (s === '..' ? '_' : s));
  const file = segments.pop() ?? 'recording';
  const dot = file.lastIndexOf('.');
  const stem = dot > 0 ? file.slice(0, dot) : file;
  const suffix = fields.part > 1 ? `-part${fields.part}` : '';
  // Cut by bytes on a code point: half an emoji made the stored path name no file (issue 22).
  const name = `${cleanSegment(stem, MAX_SEGMENT_BYTES - 20)}${suffix}.${extension}`;
  return [...segments.map((s) => cleanSegment(s)), name].join('/');
}

/** `name.ts` → `name-1.ts`: the next candidate when a file of that name exists already. */
export function alternativePath(path: string, attempt: number): string {
  const dot = path.lastIndexOf('.');
  const slash = path.lastIndexOf('/');
  if (dot <= slash + 1) return `${path}-${attempt}`;
  return `${path.slice(0, dot)}-${attempt}${path.slice(dot)}`;
}

/** `2GB`, `500 MiB`, `1.5T`, `1048576` → bytes; undefined when malformed. Units are powers of 1024. */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?$/i.exec(text.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? 'b').toLowerCase()[0]!;
  const power = { b: 0, k: 1, m: 2, g: 3, t: 4 }[unit] ?? 0;
  return Math.round(Number(match[1]) * 1024 ** power);
}
