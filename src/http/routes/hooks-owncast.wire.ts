import { z } from 'zod';
import type { ChannelState, Observation } from '../../core/model.js';
import { trimTrailingSlashes } from '../../core/text.js';

/** Owncast outbound webhook body (PROTOCOLS.md §1.3); only the fields onair uses, unknown ones ignored. */
export const owncastHookWire = z.object({
  type: z.string(),
  eventData: z
    .object({
      name: z.string().optional(),
      streamTitle: z.string().optional(),
      status: z
        .object({
          online: z.boolean().optional(),
          viewerCount: z.number().int().nonnegative().optional(),
          lastConnectTime: z.string().nullable().optional(),
          streamTitle: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
});
export type OwncastHook = z.infer<typeof owncastHookWire>;

/**
 * The observation an Owncast webhook stands for, or null for events that say nothing about
 * liveness (chat, joins, a title set while offline). The start time is the status's
 * `lastConnectTime`, as in polling, so push and poll derive the same event ids.
 */
export function owncastHookObservation(
  hook: OwncastHook,
  channelUrl: string,
  state: ChannelState,
): Observation | null {
  const data = hook.eventData;
  const title = data?.streamTitle ?? data?.status?.streamTitle ?? null;
  switch (hook.type) {
    case 'STREAM_STARTED': {
      const startedAt = Date.parse(data?.status?.lastConnectTime ?? '');
      return {
        kind: 'live',
        title,
        startedAt: Number.isFinite(startedAt) ? startedAt : null,
        tags: state.tags,
        viewers: data?.status?.viewerCount ?? null,
        thumbnail: `${trimTrailingSlashes(channelUrl)}/thumbnail.jpg`,
        name: data?.name?.trim() || null,
      };
    }
    case 'STREAM_STOPPED':
      return { kind: 'offline' };
    case 'STREAM_TITLE_UPDATED':
      if (state.liveness !== 'live') return null;
      return {
        kind: 'live',
        title,
        startedAt: state.liveSince,
        tags: state.tags,
        viewers: state.viewers,
        thumbnail: state.thumbnail,
        name: state.platformName,
      };
    default:
      return null;
  }
}
