import { z } from 'zod';

/** JSON publish to the server root (PROTOCOLS.md §5.1). */
export interface NtfyPublish {
  readonly topic: string;
  readonly title: string;
  readonly message: string;
  readonly tags: readonly string[];
  readonly priority: number;
  readonly click: string;
  /** Same id again replaces the notification on the phone (ntfy ≥ 2.16). */
  readonly sequence_id: string;
}

/** The stored message ntfy answers with; only what we read. */
export const ntfyMessage = z.object({ id: z.string() });

export const ntfyError = z.object({ error: z.string().optional(), code: z.number().optional() });
