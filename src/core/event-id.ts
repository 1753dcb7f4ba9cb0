import { createHash } from 'node:crypto';

/**
 * A stable id from the parts that identify an event, so the same transition seen twice (a retry,
 * a restart, push and poll) always gets the same id and a receiver can drop duplicates.
 */
export function contentId(...parts: readonly (string | number)[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 22);
}
