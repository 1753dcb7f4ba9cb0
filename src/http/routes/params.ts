import { z } from 'zod';
import { idSchema, zodIssues } from '../../app/inputs.js';
import { AppError } from '../../app/errors.js';

/** Parses a query or params object with a schema, or throws a 400 naming the field. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw AppError.invalid(zodIssues(result.error));
  return result.data;
}

export const idParams = z.object({ id: idSchema });
