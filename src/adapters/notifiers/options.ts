import type { z } from 'zod';
import type { OptionIssue, OptionsResult } from '../../ports/notifier.js';

/** Validates target options with a zod schema, reporting every issue with its path. */
export function parseOptionsWith(
  schema: z.ZodType<Record<string, unknown>>,
  raw: unknown,
): OptionsResult {
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, options: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((issue) => ({
      path: issue.path.join('.'),
      message: issue.message,
    })),
  };
}

export function urlIssue(message: string): { ok: false; issues: OptionIssue[] } {
  return { ok: false, issues: [{ path: 'url', message }] };
}

/** Parses a shorthand URL, or says why it is not one. */
export function shorthand(
  raw: string,
  hint: string,
): { ok: true; url: URL } | { ok: false; issues: OptionIssue[] } {
  try {
    return { ok: true, url: new URL(raw) };
  } catch {
    return urlIssue(`is not a valid URL; expected ${hint}`);
  }
}

/** The decoded user-info part of a shorthand URL. */
export function credentials(url: URL): { user: string; password: string } {
  return { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
}

/** Non-empty, decoded path segments of a shorthand URL. */
export function pathSegments(url: URL): string[] {
  return url.pathname
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decodeURIComponent(s));
}

/** `http(s)://host[:port]` of a shorthand URL: the scheme ending in `s` means TLS, as in Apprise. */
export function httpOrigin(url: URL, tlsSchemes: readonly string[]): string {
  const tls = tlsSchemes.includes(url.protocol.slice(0, -1));
  return `${tls ? 'https' : 'http'}://${url.host}`;
}

/** Query parameters of a shorthand URL that are copied into options as they are. */
export function queryOptions(url: URL, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = url.searchParams.get(name);
    if (value !== null) out[name] = value;
  }
  return out;
}

/** A yes/no query flag (`yes`, `true`, `1`). */
export function flag(value: string | null): boolean | undefined {
  return value === null ? undefined : ['yes', 'true', '1', 'on'].includes(value.toLowerCase());
}
