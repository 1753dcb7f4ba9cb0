import { ApiError } from './api.svelte.js';

/** An API error in words: each refused field with its reason, else the message. */
export function problemText(e: unknown): string {
  if (e instanceof ApiError && e.issues.length > 0)
    return e.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  return e instanceof Error ? e.message : String(e);
}
