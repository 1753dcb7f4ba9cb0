import { z } from 'zod';

/** Raw Twitch shapes (PROTOCOLS.md §2). Unknown fields are ignored; snake_case stays here. */

/** `POST <authBase>/oauth2/token` with `grant_type=client_credentials`. */
export const tokenWire = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().nonnegative(),
  token_type: z.string().optional(),
});

/** One item of Helix `GET /streams` (§2.7); only live streams are listed. */
export const streamWire = z.object({
  id: z.string(),
  user_id: z.string(),
  user_login: z.string(),
  user_name: z.string().optional(),
  game_name: z.string().optional(),
  type: z.string().optional(),
  title: z.string().optional(),
  tags: z.array(z.string()).nullable().optional(),
  viewer_count: z.number().int().nonnegative().optional(),
  started_at: z.string().optional(),
  thumbnail_url: z.string().optional(),
});
export const streamsWire = z.object({ data: z.array(streamWire) });
export type StreamWire = z.infer<typeof streamWire>;

/** Helix `GET /users?login=…`. */
export const usersWire = z.object({
  data: z.array(
    z.object({ id: z.string(), login: z.string(), display_name: z.string().optional() }),
  ),
});

/** Helix `GET /channels?broadcaster_id=…` (Get Channel Information): title and category while offline too. */
export const channelsWire = z.object({
  data: z.array(
    z.object({
      broadcaster_id: z.string(),
      broadcaster_name: z.string().optional(),
      game_name: z.string().optional(),
      title: z.string().optional(),
      tags: z.array(z.string()).nullable().optional(),
    }),
  ),
});

/** `POST <apiBase>/eventsub/subscriptions` → 202 (§2.5). */
export const subscriptionCreatedWire = z.object({
  data: z.array(z.object({ id: z.string(), cost: z.number().optional() })),
  total_cost: z.number().optional(),
  max_total_cost: z.number().optional(),
});

const subscriptionWire = z.object({
  id: z.string(),
  type: z.string(),
  status: z.string(),
  condition: z.object({ broadcaster_user_id: z.string().optional() }).loose(),
});

/** Every EventSub WebSocket message (§2.2). */
export const messageWire = z.object({
  metadata: z.object({
    message_id: z.string(),
    message_type: z.string(),
    message_timestamp: z.string(),
    subscription_type: z.string().optional(),
  }),
  payload: z
    .object({
      session: z
        .object({
          id: z.string(),
          keepalive_timeout_seconds: z.number().nullable().optional(),
          reconnect_url: z.string().nullable().optional(),
        })
        .optional(),
      subscription: subscriptionWire.optional(),
      event: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
});
export type MessageWire = z.infer<typeof messageWire>;

/** `stream.online` v1 event (§2.6). */
export const streamOnlineWire = z.object({
  id: z.string().optional(),
  broadcaster_user_id: z.string(),
  broadcaster_user_login: z.string().optional(),
  broadcaster_user_name: z.string().optional(),
  type: z.string().optional(),
  started_at: z.string(),
});

/** `stream.offline` v1 event. */
export const streamOfflineWire = z.object({ broadcaster_user_id: z.string() });

/** `channel.update` v2 event. */
export const channelUpdateWire = z.object({
  broadcaster_user_id: z.string(),
  broadcaster_user_name: z.string().optional(),
  title: z.string(),
  category_name: z.string().optional(),
});

/**
 * Helix `GET /schedule?broadcaster_id=…` (Get Channel Stream Schedule): upcoming segments (a
 * cancelled one has `canceled_until`), the vacation if one is set, and a cursor for more.
 */
export const scheduleWire = z.object({
  data: z.object({
    segments: z
      .array(
        z.object({
          id: z.string(),
          start_time: z.string(),
          end_time: z.string().nullable().optional(),
          title: z.string().nullable().optional(),
          canceled_until: z.string().nullable().optional(),
          category: z.object({ id: z.string(), name: z.string() }).nullable().optional(),
          is_recurring: z.boolean().optional(),
        }),
      )
      .nullable(),
    broadcaster_id: z.string(),
    broadcaster_name: z.string().optional(),
    broadcaster_login: z.string().optional(),
    vacation: z.object({ start_time: z.string(), end_time: z.string() }).nullable().optional(),
  }),
  pagination: z.object({ cursor: z.string().optional() }).optional(),
});
export type ScheduleWire = z.infer<typeof scheduleWire>;
