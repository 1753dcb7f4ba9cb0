import { z } from 'zod';

/** Bot API methods we call, with their JSON bodies (https://core.telegram.org/bots/api). */
export type TelegramCall =
  | {
      readonly method: 'sendMessage';
      readonly body: {
        readonly chat_id: string;
        readonly text: string;
        readonly parse_mode: 'HTML';
        readonly disable_notification: boolean;
        readonly message_thread_id?: number;
      };
    }
  | {
      readonly method: 'editMessageText';
      readonly body: {
        readonly chat_id: string;
        readonly message_id: number;
        readonly text: string;
        readonly parse_mode: 'HTML';
      };
    }
  | {
      readonly method: 'deleteMessage';
      readonly body: { readonly chat_id: string; readonly message_id: number };
    };

/** Every answer: `ok` plus `result`, or `error_code` and `description` (and `retry_after` on 429). */
export const telegramAnswer = z.object({
  ok: z.boolean(),
  result: z.unknown().optional(),
  error_code: z.number().int().optional(),
  description: z.string().optional(),
  parameters: z.object({ retry_after: z.number().nonnegative().optional() }).optional(),
});

export const telegramMessage = z.object({ message_id: z.number().int() });

export const TEXT_LIMIT = 4096;
