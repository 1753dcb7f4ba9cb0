import type { z } from 'zod';
import type { OptionIssue } from '../../ports/notifier.js';

/** Validates target options with a zod schema, reporting every issue with its path. */
export function parseOptionsWith(
  schema: z.ZodType<Record<string, unknown>>,
  raw: unknown,
): { ok: true; options: Record<string, unknown> } | { ok: false; issues: OptionIssue[] } {
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, options: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
  };
}
