import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseICalendar } from '../../src/core/calendar/ical.js';
import { FakeOwncast } from '../fake-servers/owncast.server.js';
import { listen, type Running } from '../fake-servers/listen.js';
import { ADMIN_TOKEN, removeDir, startTestOnair, type TestOnair } from './harness.js';

/** The server side of the web app, in process: static files, schedule, calendar export, URL check. */

const FEED = [
  'BEGIN:VCALENDAR',
  'BEGIN:VEVENT',
  'UID:race@test',
  // The manual clock starts at 2026-01-01T00:00:00Z.
  'DTSTART:20260105T180000Z',
  'DTEND:20260105T200000Z',
  'RRULE:FREQ=DAILY;COUNT=2',
  'SUMMARY:Race day',
  'END:VEVENT',
  'END:VCALENDAR',
].join('\r\n');

describe('web app routes', () => {
  let t: TestOnair;
  let feed: Running;
  let owncast: FakeOwncast;
  let feedStatus = 200;

  beforeAll(async () => {
    feed = await listen((_req, res) => {
      res
        .writeHead(feedStatus, { 'content-type': 'text/calendar' })
        .end(feedStatus === 200 ? FEED : 'nope');
    });
    owncast = await FakeOwncast.start();
    t = await startTestOnair({
      schedules: [{ url: `${feed.url}/cal.ics?token=s3cret`, channel: 'cam' }],
    });
  });

  afterAll(async () => {
    await t.stop();
    await feed.close();
    await owncast.close();
    removeDir(t.dir);
  });

  const get = (url: string, headers: Record<string, string> = {}) =>
    t.onair.http.inject({ method: 'GET', url, headers });

  it('serves the app with its security headers and falls back to index.html for history routes only', async () => {
    for (const url of ['/', '/watch?channels=a,b&layout=2x2', '/channels/x']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.body).toContain('<div id="app">');
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['content-security-policy']).toContain("media-src 'self' blob:");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
    const asset = /src="\/(assets\/[^"]+\.js)"/.exec((await get('/')).body)![1]!;
    const js = await get(`/${asset}`);
    expect(js.statusCode).toBe(200);
    expect(js.headers['cache-control']).toContain('immutable');
    for (const url of ['/api/v1/nothing', '/assets/missing.js', '/..%2f..%2fpackage.json']) {
      const res = await get(url, { authorization: `Bearer ${ADMIN_TOKEN}` });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toContain('application/json');
    }
    // The API stays protected.
    expect((await get('/api/v1/channels')).statusCode).toBe(401);
    expect((await get('/api/v1/schedule')).statusCode).toBe(401);
    expect((await get('/api/v1/calendar.ics')).statusCode).toBe(401);
  });

  it('imports a feed, adds and removes entries by hand, and exports it all as iCalendar', async () => {
    const refreshed = await t.api('POST', '/api/v1/schedule/feeds/refresh');
    expect(refreshed.status).toBe(200);
    const [status] = refreshed.json as { url: string; events: number; error: string | null }[];
    expect(status).toMatchObject({ events: 1, error: null });
    expect(status!.url).not.toContain('s3cret');

    const bad = await t.api('POST', '/api/v1/schedule', {
      title: '',
      start: 'tomorrow',
      end: '2026-01-01T00:00:00Z',
    });
    expect(bad.status).toBe(400);
    expect(
      (bad.json as { error: { issues: { path: string }[] } }).error.issues
        .map((i) => i.path)
        .sort(),
    ).toEqual(['start', 'title']);
    const added = await t.api('POST', '/api/v1/schedule', {
      title: 'Launch',
      start: '2026-01-03T10:00:00Z',
      end: '2026-01-03T11:00:00Z',
      channel: 'cam',
    });
    expect(added.status).toBe(201);
    const id = (added.json as { id: string }).id;

    const list = await t.api(
      'GET',
      '/api/v1/schedule?from=2026-01-01T00:00:00Z&to=2026-01-10T00:00:00Z',
    );
    expect(
      (list.json as { title: string; start: string; source: string; status: string }[]).map((e) => [
        e.title,
        e.start,
        e.source,
        e.status,
      ]),
    ).toEqual([
      ['Launch', '2026-01-03T10:00:00.000Z', 'manual', 'upcoming'],
      ['Race day', '2026-01-05T18:00:00.000Z', 'feed', 'upcoming'],
      ['Race day', '2026-01-06T18:00:00.000Z', 'feed', 'upcoming'],
    ]);
    expect(
      (await t.api('GET', '/api/v1/schedule?from=2026-01-10T00:00:00Z&to=2026-01-01T00:00:00Z'))
        .status,
    ).toBe(400);

    const ics = await get(
      '/api/v1/calendar.ics?from=2026-01-01T00:00:00Z&to=2026-01-10T00:00:00Z',
      { authorization: `Bearer ${ADMIN_TOKEN}` },
    );
    expect(ics.statusCode).toBe(200);
    expect(ics.headers['content-type']).toContain('text/calendar');
    expect(parseICalendar(ics.body).events.map((e) => e.summary)).toEqual([
      'Launch',
      'Race day',
      'Race day',
    ]);

    expect((await t.api('DELETE', `/api/v1/schedule/${id}`)).status).toBe(204);
    expect((await t.api('DELETE', `/api/v1/schedule/${id}`)).status).toBe(404);

    // A failing refresh keeps the last good events and says why.
    feedStatus = 500;
    const failed = (await t.api('POST', '/api/v1/schedule/feeds/refresh')).json as {
      events: number;
      error: string;
    }[];
    expect(failed[0]).toMatchObject({ events: 1, error: 'HTTP 500' });
    feedStatus = 200;
  });

  it('previews a pasted URL with the platform that recognises it', async () => {
    owncast.goLive('Soundcheck');
    const res = await t.api('POST', '/api/v1/check', { url: `${owncast.url}/` });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      platform: 'owncast',
      suggestedId: '127',
      observation: { kind: 'live', title: 'Soundcheck' },
    });
    const hls = await t.api('POST', '/api/v1/check', { url: `${owncast.url}/live/stream.m3u8` });
    expect(hls.json).toMatchObject({
      platform: 'hls',
      recognisedBy: ['hls'],
      observation: { kind: 'offline' },
    });
    expect((await t.api('POST', '/api/v1/check', { url: 'ftp://x' })).status).toBe(400);
    expect(
      (await t.api('POST', '/api/v1/check', { url: `${owncast.url}/`, platform: 'nope' })).status,
    ).toBe(400);
  });
});
