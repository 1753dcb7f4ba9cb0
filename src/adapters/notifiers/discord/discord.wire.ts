import { z } from 'zod';

/** An embed as Discord takes it (PROTOCOLS.md §4); texts are cut to its limits before sending. */
export interface DiscordEmbed {
  readonly title: string;
  readonly description: string;
  readonly url: string;
  readonly color: number;
  readonly timestamp: string;
  readonly footer?: { readonly text: string };
}

/** Execute (POST) and edit (PATCH) bodies. */
export interface DiscordMessageBody {
  readonly username?: string;
  readonly avatar_url?: string;
  readonly allowed_mentions: { readonly parse: readonly string[] };
  readonly embeds: readonly DiscordEmbed[];
}

/** With `?wait=true` the answer is the message object; we keep its id. */
export const discordMessage = z.object({ id: z.string().min(1) });

/** 429 body: `retry_after` is float seconds. */
export const discordRateLimit = z.object({
  retry_after: z.number().nonnegative(),
  global: z.boolean().optional(),
});

export const discordError = z.object({
  message: z.string().optional(),
  code: z.number().optional(),
});

export const EMBED_LIMITS = { title: 256, description: 4096, footer: 2048 } as const;
