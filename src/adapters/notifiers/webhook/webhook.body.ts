import type { Notification } from '../../../core/notification.js';

/** The webhook body (a contract): ids, event, channel, title, tags, ISO times. */
export function webhookBody(n: Notification) {
  return {
    id: n.id,
    event: n.event,
    channel: {
      id: n.channel.id,
      platform: n.channel.platform,
      url: n.channel.url,
      name: n.channel.name,
    },
    title: n.title,
    tags: n.tags,
    startedAt: n.startedAt === null ? null : new Date(n.startedAt).toISOString(),
    at: new Date(n.at).toISOString(),
  };
}
