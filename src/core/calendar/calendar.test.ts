import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { ExpandedCalendar, expandEvents } from './expand.js';
import { sessionsFromEvents, statusAt, type ScheduleEntry } from './entry.js';
import { escapeText, foldLine, toICalendar } from './export.js';
import { parseICalendar } from './ical.js';

const at = (iso: string) => Date.parse(iso);
const cal = (...lines: string[]) =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', ...lines, 'END:VCALENDAR'].join('\r\n');
const vevent = (...props: string[]) => ['BEGIN:VEVENT', ...props, 'END:VEVENT'].join('\r\n');
const starts = (text: string, from: string, to: string) =>
  expandEvents(parseICalendar(text).events, at(from), at(to)).map((o) =>
    new Date(o.start).toISOString(),
  );

/** The VTIMEZONE Outlook and Exchange write for `Eastern Standard Time` (US rules since 2007). */
const EASTERN_VTIMEZONE = [
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
];

describe('local times (RFC 5545 §3.3.5) and zones', () => {
  it.each([
    // Ordinary mornings on the March change day stay at their wall-clock time.
    ['America/New_York', '20260308T090000', '2026-03-08T13:00:00.000Z'],
    ['America/Los_Angeles', '20260308T090000', '2026-03-08T16:00:00.000Z'],
    // Sydney's April change: an evening after it is in standard time (UTC+10).
    ['Australia/Sydney', '20260405T190000', '2026-04-05T09:00:00.000Z'],
    // In the gap: moved forward by the gap (02:30 → 03:30 EDT).
    ['America/New_York', '20260308T023000', '2026-03-08T07:30:00.000Z'],
    // Repeated hour: the first one (01:30 EDT).
    ['America/New_York', '20261101T013000', '2026-11-01T05:30:00.000Z'],
    // Repeated hour east of UTC: Berlin 02:30 on 25 October is first CEST (UTC+2).
    ['Europe/Berlin', '20261025T023000', '2026-10-25T00:30:00.000Z'],
    // Windows names through the CLDR mapping.
    ['W. Europe Standard Time', '20260710T180000', '2026-07-10T16:00:00.000Z'],
    ['AUS Eastern Standard Time', '20260405T190000', '2026-04-05T09:00:00.000Z'],
  ])('%s %s → %s', (zone, local, expected) => {
    const text = cal(vevent('UID:z', `DTSTART;TZID=${zone}:${local}`));
    const parsed = parseICalendar(text);
    expect(parsed.problems).toEqual([]);
    expect(starts(text, '2026-01-01', '2027-01-01')).toEqual([expected]);
  });

  it('falls back to the feed’s own VTIMEZONE, and says it is not exact in gaps', () => {
    const text = cal(
      ...EASTERN_VTIMEZONE.map((l) => l.replace('Eastern Standard Time', 'Company Time')),
      vevent('UID:v', 'DTSTART;TZID=Company Time:20260310T090000'),
    );
    const parsed = parseICalendar(text);
    expect(parsed.problems).toEqual([
      'time zone "Company Time" is known only from the feed\'s VTIMEZONE: times inside its daylight-saving gap or repeated hour may be off by the shift',
    ]);
    expect(starts(text, '2026-01-01', '2027-01-01')).toEqual(['2026-03-10T13:00:00.000Z']);
  });

  it('uses X-LIC-LOCATION and vendor-prefixed ids, and reads an unknown zone as UTC with a warning', () => {
    const text = cal(
      'BEGIN:VTIMEZONE',
      'TZID:Custom',
      'X-LIC-LOCATION:Europe/Paris',
      'BEGIN:STANDARD',
      'DTSTART:19701025T030000',
      'TZOFFSETFROM:+0200',
      'TZOFFSETTO:+0100',
      'END:STANDARD',
      'END:VTIMEZONE',
      vevent('UID:a', 'DTSTART;TZID=Custom:20260710T180000'),
      vevent('UID:b', 'DTSTART;TZID=/citadel.org/20190914_1/Asia/Tokyo:20260710T180000'),
      vevent('UID:c', 'DTSTART;TZID=Mars/Olympus:20260710T180000'),
    );
    const parsed = parseICalendar(text);
    expect(parsed.problems).toEqual([
      'unknown time zone "Mars/Olympus" without a VTIMEZONE: read as UTC',
    ]);
    expect(starts(text, '2026-01-01', '2027-01-01')).toEqual([
      '2026-07-10T09:00:00.000Z',
      '2026-07-10T16:00:00.000Z',
      '2026-07-10T18:00:00.000Z',
    ]);
  });

  it('DURATION days are nominal: P1D across the spring change is 23 hours, DTEND is exact', () => {
    const text = cal(
      vevent(
        'UID:d',
        'DTSTART;TZID=America/New_York:20260307T120000',
        'DURATION:P1D',
        'RRULE:FREQ=DAILY;COUNT=2',
      ),
      vevent(
        'UID:e',
        'DTSTART;TZID=America/New_York:20260307T120000',
        'DTEND;TZID=America/New_York:20260308T120000',
        'RRULE:FREQ=DAILY;COUNT=2',
      ),
    );
    const lengths = expandEvents(parseICalendar(text).events, 0, at('2027-01-01')).map(
      (o) => `${o.event.uid} ${(o.end - o.start) / 3_600_000}h`,
    );
    // The P1D instance starting on the 7th spans the change (23 h); DTEND's exact 23 h repeats.
    expect(lengths).toEqual(['d 23h', 'e 23h', 'd 24h', 'e 23h']);
  });

  it('expands a daily rule that began decades ago into today, and caps runaway rules with a problem', () => {
    const text = cal(vevent('UID:old', 'DTSTART:20000101T090000Z', 'RRULE:FREQ=DAILY'));
    expect(starts(text, '2026-03-01', '2026-03-03')).toEqual([
      '2026-03-01T09:00:00.000Z',
      '2026-03-02T09:00:00.000Z',
    ]);
    const hourly = new ExpandedCalendar(
      parseICalendar(cal(vevent('UID:h', 'DTSTART:20260101T000000Z', 'RRULE:FREQ=HOURLY'))).events,
      100,
    );
    expect(hourly.between(at('2026-03-01'), at('2026-03-02'))).toEqual([]);
    expect(hourly.problems()).toEqual([
      'VEVENT h: recurrence stopped after 100 occurrences (at 2026-01-05T03:00:00.000Z)',
    ]);
  });
});

/** A Google Calendar export: X-WR-TIMEZONE, zoned and all-day events, escaped text, folded lines. */
const GOOGLE = [
  'BEGIN:VCALENDAR',
  'PRODID:-//Google Inc//Google Calendar 70.9054//EN',
  'VERSION:2.0',
  'CALSCALE:GREGORIAN',
  'METHOD:PUBLISH',
  'X-WR-CALNAME:Streams',
  'X-WR-TIMEZONE:Europe/Berlin',
  'BEGIN:VEVENT',
  'DTSTART;TZID=Europe/Berlin:20260305T200000',
  'DTEND;TZID=Europe/Berlin:20260305T220000',
  'RRULE:FREQ=WEEKLY;BYDAY=TH',
  'EXDATE;TZID=Europe/Berlin:20260312T200000',
  'DTSTAMP:20260301T120000Z',
  'UID:abc123@google.com',
  'SUMMARY:Late show\\, with guests\\; live',
  'DESCRIPTION:First line\\nSecond line with a long text that Google folds at seve',
  ' nty-five octets like every other writer',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'DTSTART;VALUE=DATE:20260320',
  'DTEND;VALUE=DATE:20260322',
  'UID:allday@google.com',
  'SUMMARY:Festival',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'DTSTART:20260319T170000',
  'UID:floating@google.com',
  'SUMMARY:Floating in the calendar zone',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

/** An Outlook / Exchange export: Windows zone names with their VTIMEZONE, a moved instance. */
const OUTLOOK = [
  'BEGIN:VCALENDAR',
  'METHOD:PUBLISH',
  'PRODID:Microsoft Exchange Server 2010',
  'VERSION:2.0',
  ...EASTERN_VTIMEZONE,
  'BEGIN:VEVENT',
  'UID:040000008200E00074C5B7101A82E008',
  'SUMMARY;LANGUAGE=en-US:Weekly stream',
  'DTSTART;TZID=Eastern Standard Time:20260303T090000',
  'DTEND;TZID=Eastern Standard Time:20260303T100000',
  'RRULE:FREQ=WEEKLY;BYDAY=TU;INTERVAL=1;COUNT=3',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:040000008200E00074C5B7101A82E008',
  'RECURRENCE-ID;TZID=Eastern Standard Time:20260310T090000',
  'SUMMARY;LANGUAGE=en-US:Weekly stream (moved)',
  'DTSTART;TZID=Eastern Standard Time:20260310T110000',
  'DTEND;TZID=Eastern Standard Time:20260310T120000',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

/** An Apple Calendar export: LF line ends, floating times with X-WR-TIMEZONE, RDATE. */
const APPLE = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Apple Inc.//macOS 14.0//EN',
  'X-WR-TIMEZONE:America/Los_Angeles',
  'BEGIN:VEVENT',
  'UID:8F1A-APPLE',
  'DTSTART:20260308T090000',
  'DURATION:PT1H',
  'RDATE:20260315T100000',
  'SUMMARY:Sunday morning',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\n');

describe('vendor-shaped feeds', () => {
  it('Google: zoned weekly with EXDATE, all-day, floating in X-WR-TIMEZONE, escaped and folded text', () => {
    const parsed = parseICalendar(GOOGLE);
    expect(parsed.problems).toEqual([]);
    expect(parsed.name).toBe('Streams');
    const occ = expandEvents(parsed.events, at('2026-03-01'), at('2026-03-27'));
    expect(occ.map((o) => [o.event.uid, new Date(o.start).toISOString(), o.end - o.start])).toEqual(
      [
        ['abc123@google.com', '2026-03-05T19:00:00.000Z', 7_200_000],
        ['floating@google.com', '2026-03-19T16:00:00.000Z', 0],
        ['abc123@google.com', '2026-03-19T19:00:00.000Z', 7_200_000],
        ['allday@google.com', '2026-03-20T00:00:00.000Z', 2 * 86_400_000],
        // Berlin changed to summer time on 29 March; 26 March is still UTC+1.
        ['abc123@google.com', '2026-03-26T19:00:00.000Z', 7_200_000],
      ],
    );
    const show = parsed.events.find((e) => e.uid === 'abc123@google.com')!;
    expect(show.summary).toBe('Late show, with guests; live');
    expect(show.description).toBe(
      'First line\nSecond line with a long text that Google folds at seventy-five octets like every other writer',
    );
    expect(parsed.events.find((e) => e.uid === 'allday@google.com')!.allDay).toBe(true);
  });

  it('Outlook: Windows zone name with VTIMEZONE and a moved instance', () => {
    const parsed = parseICalendar(OUTLOOK);
    expect(parsed.problems).toEqual([]);
    expect(
      expandEvents(parsed.events, at('2026-03-01'), at('2026-04-01')).map((o) => [
        o.event.summary,
        new Date(o.start).toISOString(),
      ]),
    ).toEqual([
      ['Weekly stream', '2026-03-03T14:00:00.000Z'],
      // 8 March New York changed to summer time: 09:00 is now 13:00 UTC.
      ['Weekly stream (moved)', '2026-03-10T15:00:00.000Z'],
      ['Weekly stream', '2026-03-17T13:00:00.000Z'],
    ]);
  });

  it('Apple: LF line ends, floating times in X-WR-TIMEZONE, RDATE', () => {
    const parsed = parseICalendar(APPLE);
    expect(parsed.problems).toEqual([]);
    expect(starts(APPLE, '2026-03-01', '2026-04-01')).toEqual([
      '2026-03-08T16:00:00.000Z',
      '2026-03-15T17:00:00.000Z',
    ]);
  });

  it('reports what it cannot read instead of dropping it silently', () => {
    const text = cal(
      vevent('UID:f', 'SUMMARY:no start'),
      vevent('UID:g', 'DTSTART:20260310T180000', 'RRULE:FREQ=YEARLY;RSCALE=HEBREW;BYMONTH=5'),
      vevent(
        'UID:h',
        'DTSTART:20260310T180000Z',
        'RECURRENCE-ID;RANGE=THISANDFUTURE:20260310T180000Z',
      ),
    );
    const { problems } = parseICalendar(text);
    expect(problems).toEqual([
      'VEVENT f: no DTSTART, skipped',
      'floating times (no TZID, no X-WR-TIMEZONE) are read as UTC',
      'VEVENT g: RRULE FREQ=YEARLY;BYMONTH=5 uses RSCALE=HEBREW, which the recurrence library cannot expand correctly; only the first occurrence is shown',
      'VEVENT h: RECURRENCE-ID;RANGE=THISANDFUTURE applied to that one occurrence only',
    ]);
    expect(parseICalendar('not a calendar').problems[0]).toMatch(/^not an iCalendar document/);
  });

  it('keeps only http(s) links and skips cancelled events', () => {
    const text = cal(
      vevent('UID:j', 'DTSTART:20260310T180000Z', 'URL:javascript:alert(1)'),
      vevent('UID:k', 'DTSTART:20260310T180000Z', 'URL:HTTPS://x.example/k'),
      vevent('UID:l', 'DTSTART:20260310T180000Z', 'STATUS:CANCELLED'),
    );
    const { events } = parseICalendar(text);
    expect(events.map((e) => e.url)).toEqual([null, 'HTTPS://x.example/k', null]);
    expect(starts(text, '2026-03-01', '2026-04-01')).toHaveLength(2);
  });
});

describe('sessionsFromEvents', () => {
  it('pairs live and offline per channel, follows titles and leaves a running session open', () => {
    const sessions = sessionsFromEvents([
      { channelId: 'a', kind: 'offline', title: null, startedAt: 100, at: 500 },
      { channelId: 'a', kind: 'live', title: 'one', startedAt: 100, at: 110 },
      { channelId: 'a', kind: 'title', title: 'two', startedAt: 100, at: 200 },
      { channelId: 'b', kind: 'live', title: 'b', startedAt: null, at: 300 },
    ]);
    expect(sessions).toEqual([
      { channelId: 'a', title: 'two', start: 100, end: 500 },
      { channelId: 'b', title: 'b', start: 300, end: null },
    ]);
  });

  it('closes a session with no offline when the next one starts', () => {
    const sessions = sessionsFromEvents([
      { channelId: 'a', kind: 'live', title: 'x', startedAt: 100, at: 100 },
      { channelId: 'a', kind: 'live', title: 'y', startedAt: 900, at: 900 },
    ]);
    expect(sessions.map((s) => [s.start, s.end])).toEqual([
      [100, null],
      [900, null],
    ]);
  });

  it.each([
    [200, null, 100, 'upcoming'],
    [100, null, 200, 'live'],
    [100, 300, 200, 'live'],
    [100, 150, 200, 'past'],
  ] as const)('statusAt(%d, %s, now %d) = %s', (start, end, now, status) => {
    expect(statusAt(start, end, now)).toBe(status);
  });
});

describe('toICalendar', () => {
  const entry = (change: Partial<ScheduleEntry>): ScheduleEntry => ({
    id: 'e1',
    source: 'manual',
    channelId: 'cam',
    title: 'title',
    description: null,
    url: null,
    start: at('2026-03-10T18:00:00Z'),
    end: at('2026-03-10T19:00:00Z'),
    allDay: false,
    status: 'upcoming',
    ...change,
  });

  it('round trip: what onair exports parses back with ical.js to the same events', () => {
    const long = 'Ü'.repeat(60) + '😀'.repeat(30);
    const entries = [
      entry({
        title: `Launch, day; 1 \\ back ${long}`,
        description: 'multi\nline\r\ncrlf\rlone CR',
        url: 'https://x.example/?a=1&b=2',
      }),
      entry({ id: 'e2', title: 'lone\rCR', channelId: null }),
      entry({
        id: 'e3',
        title: 'Festival',
        allDay: true,
        start: at('2026-03-20T00:00:00Z'),
        end: at('2026-03-22T00:00:00Z'),
      }),
    ];
    const text = toICalendar(entries, at('2026-03-01T00:00:00Z'), { refreshMinutes: 60 });
    for (const line of text.split('\r\n'))
      expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(75);
    expect(text).not.toMatch(/\r(?!\n)/);
    expect(text).not.toMatch(/(?<!\r)\n/);
    const calendar = new ICAL.Component(ICAL.parse(text) as unknown[]);
    const back = calendar.getAllSubcomponents('vevent').map((v) => {
      const event = new ICAL.Event(v);
      return {
        uid: event.uid,
        summary: event.summary,
        description: event.description,
        start: event.startDate.toJSDate().getTime(),
        end: event.endDate.toJSDate().getTime(),
        allDay: event.startDate.isDate,
        url: v.getFirstPropertyValue('url'),
      };
    });
    expect(back).toEqual([
      {
        uid: 'e1@onair',
        summary: `Launch, day; 1 \\ back ${long}`,
        description: 'multi\nline\ncrlf\nlone CR\nchannel: cam',
        start: at('2026-03-10T18:00:00Z'),
        end: at('2026-03-10T19:00:00Z'),
        allDay: false,
        url: 'https://x.example/?a=1&b=2',
      },
      {
        uid: 'e2@onair',
        summary: 'lone\nCR',
        description: null,
        start: at('2026-03-10T18:00:00Z'),
        end: at('2026-03-10T19:00:00Z'),
        allDay: false,
        url: null,
      },
      {
        uid: 'e3@onair',
        summary: 'Festival',
        description: 'channel: cam',
        allDay: true,
        // ical.js reads a DATE as local midnight of the machine running it.
        start: new Date(2026, 2, 20).getTime(),
        end: new Date(2026, 2, 22).getTime(),
        url: null,
      },
    ]);
    // And onair's own parser reads the same events.
    expect(parseICalendar(text).events.map((e) => [e.summary, e.start.at, e.allDay])).toEqual([
      [`Launch, day; 1 \\ back ${long}`, at('2026-03-10T18:00:00Z'), false],
      ['lone\nCR', at('2026-03-10T18:00:00Z'), false],
      ['Festival', at('2026-03-20T00:00:00Z'), true],
    ]);
    expect(text).toContain('REFRESH-INTERVAL;VALUE=DURATION:PT60M\r\n');
  });

  it('escapes and folds per RFC 5545 §3.3.11 and §3.1', () => {
    expect(escapeText('a\\b;c,d\ne\rf\r\ng\u0007')).toBe('a\\\\b\\;c\\,d\\ne\\nf\\ng');
    expect(foldLine('x'.repeat(80))).toBe(`${'x'.repeat(75)}\r\n ${'x'.repeat(5)}`);
    // Never inside a UTF-8 sequence: 38 two-octet characters fold after 37 (74 octets).
    expect(foldLine('é'.repeat(38)).split('\r\n ')[0]).toBe('é'.repeat(37));
  });
});
