import { z } from 'zod';

/** Matrix client-server API shapes the bot reads (spec v1.x, `/_matrix/client/v3`). */

export const loginAnswer = z.object({
  access_token: z.string().min(1),
  user_id: z.string().min(1),
});

export const whoamiAnswer = z.object({ user_id: z.string().min(1) });

const roomEvent = z.object({
  type: z.string(),
  sender: z.string().optional(),
  event_id: z.string().optional(),
  state_key: z.string().optional(),
  content: z.record(z.string(), z.unknown()).default({}),
});
export type RoomEvent = z.infer<typeof roomEvent>;

const events = z.object({ events: z.array(roomEvent).default([]) }).prefault({});

/** `GET /sync`: only the parts the bot uses; everything else is ignored. */
export const syncAnswer = z.object({
  next_batch: z.string().min(1),
  rooms: z
    .object({
      join: z.record(z.string(), z.object({ timeline: events, state: events })).default({}),
      invite: z.record(z.string(), z.object({ invite_state: events })).default({}),
    })
    .prefault({}),
});
export type SyncAnswer = z.infer<typeof syncAnswer>;

/** `m.room.power_levels` content; absent fields take the spec's defaults. */
export const powerLevels = z.object({
  users: z.record(z.string(), z.number()).default({}),
  users_default: z.number().default(0),
});

/** `m.room.message` content of a text message. */
export const textContent = z.object({ msgtype: z.string(), body: z.string() });

export const errorAnswer = z.object({ errcode: z.string(), error: z.string().optional() });
