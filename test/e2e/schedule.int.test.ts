import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type Running } from '../fake-servers/listen.js';
import { ADMIN_TOKEN, removeDir, startTestOnair, type TestOnair } from './harness.js';

/**
 * The schedule through the HTTP API of the whole app: an Outlook-shaped feed (Windows zone name
 * with its VTIMEZONE) and the RFC's WKST example come out as the RFC says through
 * `GET /api/v1/schedule`; hand-added entries are edited one at a time; calendar apps subscribe
 * with a per-user key that only reads, only what its user may read, and stops at revocation.
 */

const FEED = [
  'BEGIN:VCALENDAR',
  'PRODID:Microsoft Exchange Server 2010',
  'VERSION:2.0',
  'BEGIN:VTIMEZONE',
  'TZID:Eastern Standard Time',
  'BEGIN:STANDARD',
  'DTSTART:16010101T020000',
  'TZOFFSETFROM:-0400',
  'TZOFFSETTO:-0500',
  'RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=1SU;BYMONTH=11',
  'END:STANDARD',
  'BEGIN:DAYLIGHT',
  'DTSTART:16010101T020000',
  'TZOFFSETFROM:-0500',
  'TZOFFSETTO:-0400',
  'RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=2SU;BYMONTH=3',
  'END:DAYLIGHT',
  'END:VTIMEZONE',
  // 8 March 2026: New York changes to summer time at 02:00; 09:00 that morning is 13:00 UTC.
  'BEGIN:VEVENT',
  'UID:dst-morning',
  'SUMMARY:Morning show',
  'DTSTART;TZID=Eastern Standard Time:20260307T090000',
  'DTEND;TZID=Eastern Standard Time:20260307T100000',
  'RRULE:FREQ=DAILY;COUNT=3',
  'END:VEVENT',
  // RFC 5545 §3.8.5.3: WKST=SU gives August 5, 17, 19, 31 (WKST=MO would give 5, 10, 19, 24).
  'BEGIN:VEVENT',
  'UID:wkst',
  'SUMMARY:Fortnightly',
  'DTSTART;TZID=America/New_York:19970805T090000',
  'RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

const READER = 'cam-reader-token';

describe('schedule over HTTP', () => {
  let t: TestOnair;
  let feed: Running;

  beforeAll(async () => {
    feed = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/calendar' }).end(FEED);
    });
    t = await startTestOnair({
      schedules: [{ url: `${feed.url}/outlook.ics`, channel: 'cam' }],
      auth: {
        adminToken: ADMIN_TOKEN,
        users: [
          { name: 'camfan', token: READER, permissions: [{ action: 'read', channels: ['cam'] }] },
        ],
      },
    });
    expect((await t.api('POST', '/api/v1/schedule/feeds/refresh')).status).toBe(200);
  });

  afterAll(async () => {
    await t.stop();
    await feed.close();
    removeDir(t.dir);
  });

  const get = (url: string, token?: string) =>
    t.onair.http.inject({
      method: 'GET',
      url,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
  const as = (token: string, method: 'GET' | 'POST' | 'DELETE', url: string) =>
    t.onair.http.inject({ method, url, headers: { authorization: `Bearer ${token}` } });
  const starts = async (from: string, to: string) =>
    (
      (await t.api('GET', `/api/v1/schedule?from=${from}&to=${to}`)).json as {
        title: string;
        start: string;
        end: string;
        source: string;
      }[]
    )
      .filter((e) => e.source === 'feed')
      .map((e) => `${e.title} ${e.start}`);

  it('a Windows zone with its VTIMEZONE: 09:00 on the day New York changes to summer time', async () => {
    expect(await starts('2026-03-06T00:00:00Z', '2026-03-10T00:00:00Z')).toEqual([
      'Morning show 2026-03-07T14:00:00.000Z',
      'Morning show 2026-03-08T13:00:00.000Z',
      'Morning show 2026-03-09T13:00:00.000Z',
    ]);
    const [status] = (await t.api('GET', '/api/v1/schedule/feeds')).json as {
      problems: string[];
    }[];
    expect(status!.problems).toEqual([]);
  });

  it('WKST=SU comes out as RFC 5545 lists it', async () => {
    expect(await starts('1997-08-01T00:00:00Z', '1997-09-05T00:00:00Z')).toEqual([
      'Fortnightly 1997-08-05T13:00:00.000Z',
      'Fortnightly 1997-08-17T13:00:00.000Z',
      'Fortnightly 1997-08-19T13:00:00.000Z',
      'Fortnightly 1997-08-31T13:00:00.000Z',
    ]);
  });

  it('edits a hand-added entry one at a time, keeping what the change leaves out', async () => {
    const added = await t.api('POST', '/api/v1/schedule', {
      title: 'Launch',
      start: '2026-03-03T10:00:00Z',
      end: '2026-03-03T11:00:00Z',
      description: 'keep me',
    });
    expect(added.status).toBe(201);
    const id = (added.json as { id: string }).id;
    const changed = await t.api('PATCH', `/api/v1/schedule/${id}`, {
      title: 'Launch, moved',
      start: '2026-03-04T10:00:00Z',
      end: null,
      channel: 'cam',
    });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({
      id,
      title: 'Launch, moved',
      start: '2026-03-04T10:00:00.000Z',
      end: null,
      channelId: 'cam',
      description: 'keep me',
      source: 'manual',
    });
    expect((await t.api('GET', `/api/v1/schedule/${id}`)).json).toEqual(changed.json);
    const bad = await t.api('PATCH', `/api/v1/schedule/${id}`, { end: '2026-03-01T00:00:00Z' });
    expect(bad.status).toBe(400);
    expect((await t.api('PATCH', '/api/v1/schedule/nope', { title: 'x' })).status).toBe(404);
    expect((await t.api('PATCH', `/api/v1/schedule/${id}`, {})).status).toBe(400);
  });

  it('says a local date-time needs a zone, and takes one with minutes only', async () => {
    const local = await t.api('POST', '/api/v1/schedule', {
      title: 'No zone',
      start: '2026-12-05T20:00',
    });
    expect(local.status).toBe(400);
    expect(JSON.stringify(local.json)).toContain(
      '\\"2026-12-05T20:00\\" has no time zone: add Z for UTC or an offset such as +01:00',
    );
    for (const start of ['2026-12-05T20:00Z', '2026-12-05T20:00+01:00']) {
      const zoned = await t.api('POST', '/api/v1/schedule', { title: 'Zoned', start });
      expect(zoned.status).toBe(201);
      expect(zoned.json).toMatchObject({ start: new Date(Date.parse(start)).toISOString() });
    }
  });

  it('a calendar app subscribes with a key: read only, only readable channels, 401 once revoked', async () => {
    // An entry of no channel and one of another channel: the cam-only reader sees neither.
    await t.api('POST', '/api/v1/schedule', { title: 'General', start: '2026-03-05T10:00:00Z' });
    await t.api('POST', '/api/v1/schedule', {
      title: 'Other channel',
      start: '2026-03-05T11:00:00Z',
      channel: 'dog',
    });
    expect((await as(READER, 'GET', '/api/v1/calendar/key')).json()).toEqual({
      exists: false,
      createdAt: null,
    });
    const created = await as(READER, 'POST', '/api/v1/calendar/key');
    expect(created.statusCode).toBe(201);
    const { key, path, url } = created.json<{ key: string; path: string; url: string }>();
    expect(url.endsWith(path)).toBe(true);
    expect((await as(READER, 'GET', '/api/v1/calendar/key')).json()).toMatchObject({
      exists: true,
    });

    // No header at all, as a calendar app fetches it.
    const window = 'from=2026-03-01T00:00:00Z&to=2026-03-10T00:00:00Z';
    const ics = await get(`${path}&${window}`);
    expect(ics.statusCode).toBe(200);
    expect(ics.headers['content-type']).toContain('text/calendar');
    const summaries = new ICAL.Component(ICAL.parse(ics.body) as unknown[])
      .getAllSubcomponents('vevent')
      .map((v) => v.getFirstPropertyValue('summary'));
    expect(summaries).toContain('Morning show');
    expect(summaries).toContain('Launch, moved');
    expect(summaries).not.toContain('General');
    expect(summaries).not.toContain('Other channel');
    // The same reader's own view of the schedule is narrowed the same way.
    const own = (await as(READER, 'GET', `/api/v1/schedule?${window}`)).json<{ title: string }[]>();
    expect(own.map((e) => e.title)).toContain('Morning show');
    expect(own.map((e) => e.title)).not.toContain('General');
    expect(own.map((e) => e.title)).not.toContain('Other channel');
    // The admin's own export has everything.
    const all = await get(`/api/v1/calendar.ics?${window}`, ADMIN_TOKEN);
    expect(all.body).toContain('SUMMARY:General');
    expect(all.body).toContain('SUMMARY:Other channel');

    // The key only reads: it opens nothing else.
    expect((await get(`/api/v1/schedule?key=${key}`)).statusCode).toBe(401);
    expect((await get(`/api/v1/calendar.ics?key=${key}x`)).statusCode).toBe(401);

    // A new key replaces the old one; a revoked key gets 401.
    const second = (await as(READER, 'POST', '/api/v1/calendar/key')).json<{ path: string }>();
    expect((await get(path)).statusCode).toBe(401);
    expect((await get(second.path)).statusCode).toBe(200);
    expect((await as(READER, 'DELETE', '/api/v1/calendar/key')).statusCode).toBe(204);
    expect((await get(second.path)).statusCode).toBe(401);
    expect((await as(READER, 'DELETE', '/api/v1/calendar/key')).statusCode).toBe(404);
  });
});
