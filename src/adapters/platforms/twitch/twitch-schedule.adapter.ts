import type {
  PlatformScheduleReader,
  PlatformScheduleResult,
  PlatformSlot,
} from '../../../app/schedule/platform-schedule.js';
import type { Channel } from '../../../core/model.js';
import type { Instant } from '../../../core/time.js';
import type { TwitchApi } from './twitch-api.js';
import { twitchLogin } from './twitch.platform.js';
import type { ScheduleWire } from './twitch.wire.js';

const parseInstant = (text: string | null | undefined): Instant | null => {
  if (text === null || text === undefined) return null;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : at;
};

/**
 * Twitch channels' own schedules (Helix Get Channel Stream Schedule): each segment an upcoming
 * slot of its channel; cancelled segments (`canceled_until`) and those inside the vacation are
 * left out, and the vacation is one slot of its own.
 */
export class TwitchScheduleReader implements PlatformScheduleReader {
  readonly platform = 'twitch';
  private readonly api: TwitchApi;
  /** Broadcaster ids by login: they never change, so they are asked for once. */
  private readonly ids = new Map<string, string>();

  constructor(api: TwitchApi) {
    this.api = api;
  }

  async upcoming(channel: Channel, from: Instant): Promise<PlatformScheduleResult> {
    const login = twitchLogin(channel.url);
    if (login === null) return { ok: false, error: 'not a Twitch channel URL' };
    let id = this.ids.get(login);
    if (id === undefined) {
      const found = await this.api.userIds([login]);
      if (!found.ok) return { ok: false, error: found.error };
      id = found.value.get(login);
      if (id === undefined) return { ok: false, error: `Twitch has no user "${login}"` };
      this.ids.set(login, id);
    }
    const res = await this.api.schedule(id, new Date(from).toISOString());
    if (!res.ok) return { ok: false, error: res.error };
    return { ok: true, slots: res.value === null ? [] : slotsOf(res.value, login) };
  }
}

/** The slots of a schedule answer (pure; exported for tests). */
export function slotsOf(data: ScheduleWire['data'], login: string): PlatformSlot[] {
  const url = `https://www.twitch.tv/${login}`;
  const vacationStart = parseInstant(data.vacation?.start_time);
  const vacationEnd = parseInstant(data.vacation?.end_time);
  const onVacation = (start: Instant) =>
    vacationStart !== null && vacationEnd !== null && start >= vacationStart && start < vacationEnd;
  const slots: PlatformSlot[] = [];
  for (const segment of data.segments ?? []) {
    const start = parseInstant(segment.start_time);
    if (start === null || segment.canceled_until != null || onVacation(start)) continue;
    slots.push({
      id: `${segment.id}@${start}`,
      title: segment.title?.trim() || `${data.broadcaster_name ?? login} (scheduled)`,
      description: segment.category?.name ?? null,
      start,
      end: parseInstant(segment.end_time),
      url,
    });
  }
  if (vacationStart !== null && vacationEnd !== null)
    slots.push({
      id: `vacation@${vacationStart}`,
      title: `${data.broadcaster_name ?? login}: on vacation`,
      description: null,
      start: vacationStart,
      end: vacationEnd,
      url,
    });
  return slots.sort((a, b) => a.start - b.start);
}
