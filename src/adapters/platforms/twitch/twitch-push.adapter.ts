import type { PushResult, SubscriptionCost, TwitchPushApi } from '../../../app/push/ports.js';
import type { Channel, Observation } from '../../../core/model.js';
import type { TwitchApi } from './twitch-api.js';
import { twitchLogin, withCategory, type TwitchPlatform } from './twitch.platform.js';

/** The Helix side of Twitch push, over the same API client (and app token) as polling. */
export class TwitchPushHelix implements TwitchPushApi {
  private readonly api: TwitchApi;
  private readonly platform: TwitchPlatform;

  constructor(api: TwitchApi, platform: TwitchPlatform) {
    this.api = api;
    this.platform = platform;
  }

  get hasUserToken(): boolean {
    return this.api.settings.userToken !== undefined;
  }

  login(channel: Channel): string | null {
    return twitchLogin(channel.url);
  }

  userIds(logins: readonly string[]): Promise<PushResult<ReadonlyMap<string, string>>> {
    return this.api.userIds(logins);
  }

  subscribe(
    type: string,
    version: string,
    broadcasterId: string,
    sessionId: string,
  ): Promise<PushResult<SubscriptionCost>> {
    return this.api.subscribe(type, version, broadcasterId, sessionId);
  }

  async details(
    broadcasterId: string,
  ): Promise<PushResult<{ title: string | null; tags: readonly string[]; name: string | null }>> {
    const info = await this.api.channelInfo(broadcasterId);
    if (!info.ok) return info;
    return {
      ok: true,
      value: {
        title: info.value.title,
        tags: withCategory(info.value.category, info.value.tags),
        name: info.value.name,
      },
    };
  }

  poll(channels: readonly Channel[]): Promise<ReadonlyMap<string, Observation>> {
    return this.platform.probeBatch(channels, new AbortController().signal);
  }
}
