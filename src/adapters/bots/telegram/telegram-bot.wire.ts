import { z } from 'zod';

/** Bot API shapes the bot reads (https://core.telegram.org/bots/api). */

export const botAnswer = z.object({
  ok: z.boolean(),
  result: z.unknown().optional(),
  error_code: z.number().int().optional(),
  description: z.string().optional(),
  parameters: z.object({ retry_after: z.number().nonnegative().optional() }).optional(),
});

export const me = z.object({ id: z.number().int(), username: z.string().optional() });

const message = z.object({
  message_id: z.number().int(),
  from: z.object({ id: z.number().int(), is_bot: z.boolean().optional() }).optional(),
  chat: z.object({
    id: z.number().int(),
    type: z.enum(['private', 'group', 'supergroup', 'channel']),
  }),
  text: z.string().optional(),
});

/** `getUpdates` result: only messages matter; other update kinds just move the offset. */
export const updates = z.array(
  z.object({ update_id: z.number().int(), message: message.optional() }),
);
export type Update = z.infer<typeof updates>[number];

/** `getChatMember` result; `creator` and `administrator` may manage subscriptions. */
export const chatMember = z.object({ status: z.string() });

/** `sendMessage` result. */
export const sentMessage = z.object({ message_id: z.number().int() });
