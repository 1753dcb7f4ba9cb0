import { describe, expect, it } from 'vitest';
import { expandEvents } from './expand.js';
import { sessionsFromEvents, statusAt } from './entry.js';
import { escapeText, foldLine, toICalendar } from './export.js';
import { parseICalendar, parseIcalDuration } from './ical.js';

const at = (iso: string) => Date.parse(iso);
const cal = (...events: string[]) =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', ...events, 'END:VCALENDAR'].join('\r\n');
const vevent = (...props: string[]) => ['BEGIN:VEVENT', ...props, 'END:VEVENT'].join('\r\n');
const starts = (text: string, from: string, to: string) =>
  expandEvents(parseICalendar(text).events, at(from), at(to)).map((o) =>
    new Date(o.start).toISOString(),
  );

describe('parseICalendar', () => {
  it('reads folded, escaped text, UTC times and DTEND', () => {
    const text = cal(
      vevent(
        'UID:a',
        'DTSTART:20260310T180000Z',
        'DTEND:20260310T200000Z',
        'SUMMARY:F1 \\, practice\\; one',
        'DESCRIPTION:line1\\nline',
        ' 2',
        'URL:https://x.example/a',
      ),
    );
    const { events, problems } = parseICalendar(text);
    expect(problems).toEqual([]);
    expect(events).toHaveLength(1);
    const e = events[0]!;
    expect(e.summary).toBe('F1 , practice; one');
    expect(e.description).toBe('line1\nline2');
    expect(e.durationMs).toBe(2 * 3_600_000);
    expect(e.url).toBe('https://x.example/a');
  });

  it('reads TZID wall-clock times across DST, all-day dates and DURATION', () => {
    const text = cal(
      vevent('UID:b', 'DTSTART;TZID=Europe/Berlin:20260310T180000', 'DURATION:PT1H30M'),
      vevent('UID:c', 'DTSTART;TZID=Europe/Berlin:20260710T180000'),
      vevent('UID:d', 'DTSTART;VALUE=DATE:20260311'),
    );
    const events = parseICalendar(text).events;
    expect(
      new Date(
        expandEvents(events, 0, at('2027-01-01')).find((o) => o.event.uid === 'b')!.start,
      ).toISOString(),
    ).toBe('2026-03-10T17:00:00.000Z');
    expect(expandEvents(events, 0, at('2027-01-01')).find((o) => o.event.uid === 'c')!.start).toBe(
      at('2026-07-10T16:00:00Z'),
    );
    const d = events.find((e) => e.uid === 'd')!;
    expect(d.start.allDay).toBe(true);
    expect(d.durationMs).toBe(86_400_000);
    expect(events.find((e) => e.uid === 'b')!.durationMs).toBe(90 * 60_000);
  });

  it('keeps only http(s) links', () => {
    const text = cal(
      vevent('UID:j', 'DTSTART:20260310T180000Z', 'URL:javascript:alert(1)'),
      vevent('UID:k', 'DTSTART:20260310T180000Z', 'URL:HTTPS://x.example/k'),
    );
    expect(parseICalendar(text).events.map((e) => e.url)).toEqual([null, 'HTTPS://x.example/k']);
  });

  it('skips VALARM content and reports events it cannot read', () => {
    const text = cal(
      vevent(
        'UID:e',
        'DTSTART:20260310T180000Z',
        'BEGIN:VALARM',
        'SUMMARY:alarm',
        'END:VALARM',
        'SUMMARY:real',
      ),
      vevent('UID:f', 'SUMMARY:no start'),
    );
    const { events, problems } = parseICalendar(text);
    expect(events.map((e) => e.summary)).toEqual(['real']);
    expect(problems).toEqual(['VEVENT f: no DTSTART, skipped']);
  });

  it('reports unsupported rules and unknown zones and keeps the first occurrence', () => {
    const text = cal(
      vevent('UID:g', 'DTSTART;TZID=Mars/Olympus:20260310T180000', 'RRULE:FREQ=HOURLY'),
    );
    const { events, problems } = parseICalendar(text);
    expect(problems).toEqual([
      'VEVENT g: unknown time zone "Mars/Olympus", read as UTC',
      'VEVENT g: unsupported RRULE frequency HOURLY; only the first occurrence is shown',
    ]);
    expect(expandEvents(events, 0, at('2030-01-01')).map((o) => o.start)).toEqual([
      at('2026-03-10T18:00:00Z'),
    ]);
  });

  it.each([
    ['PT1H', 3_600_000],
    ['P1D', 86_400_000],
    ['P1W', 604_800_000],
    ['P1DT2H3M4S', 93_784_000],
    ['-PT5M', -300_000],
    ['P', null],
    ['1H', null],
  ])('DURATION %s', (text, ms) => {
    expect(parseIcalDuration(text)).toBe(ms);
  });
});

describe('expandEvents (RRULE)', () => {
  it.each([
    [
      'daily with COUNT',
      'RRULE:FREQ=DAILY;COUNT=3',
      '2026-03-01',
      '2026-04-01',
      ['2026-03-02T18:00:00.000Z', '2026-03-03T18:00:00.000Z', '2026-03-04T18:00:00.000Z'],
    ],
    [
      'every other day, windowed',
      'RRULE:FREQ=DAILY;INTERVAL=2',
      '2026-03-05',
      '2026-03-09',
      ['2026-03-06T18:00:00.000Z', '2026-03-08T18:00:00.000Z'],
    ],
    [
      'weekly on Tue and Thu until',
      'RRULE:FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20260312T235959Z',
      '2026-03-01',
      '2026-04-01',
      [
        '2026-03-02T18:00:00.000Z',
        '2026-03-03T18:00:00.000Z',
        '2026-03-05T18:00:00.000Z',
        '2026-03-10T18:00:00.000Z',
        '2026-03-12T18:00:00.000Z',
      ],
    ],
    [
      'monthly on the last Friday',
      'RRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=3',
      '2026-01-01',
      '2027-01-01',
      ['2026-03-02T18:00:00.000Z', '2026-03-27T18:00:00.000Z', '2026-04-24T18:00:00.000Z'],
    ],
    [
      'monthly on day 31 skips short months',
      'RRULE:FREQ=MONTHLY;BYMONTHDAY=31;COUNT=3',
      '2026-01-01',
      '2027-01-01',
      ['2026-03-02T18:00:00.000Z', '2026-03-31T18:00:00.000Z', '2026-05-31T18:00:00.000Z'],
    ],
    [
      'yearly',
      'RRULE:FREQ=YEARLY;COUNT=2',
      '2026-01-01',
      '2030-01-01',
      ['2026-03-02T18:00:00.000Z', '2027-03-02T18:00:00.000Z'],
    ],
  ])('%s', (_name, rule, from, to, expected) => {
    expect(starts(cal(vevent('UID:r', 'DTSTART:20260302T180000Z', rule)), from, to)).toEqual(
      expected,
    );
  });

  it('keeps the wall-clock time of a zoned weekly event across DST', () => {
    const text = cal(
      vevent('UID:w', 'DTSTART;TZID=Europe/Berlin:20260320T200000', 'RRULE:FREQ=WEEKLY;COUNT=3'),
    );
    expect(starts(text, '2026-03-01', '2026-05-01')).toEqual([
      '2026-03-20T19:00:00.000Z',
      '2026-03-27T19:00:00.000Z',
      '2026-04-03T18:00:00.000Z',
    ]);
  });

  it('drops EXDATEs, replaces modified instances and leaves out cancelled ones', () => {
    const text = cal(
      vevent(
        'UID:x',
        'DTSTART:20260302T180000Z',
        'RRULE:FREQ=DAILY;COUNT=4',
        'EXDATE:20260303T180000Z',
      ),
      vevent(
        'UID:x',
        'RECURRENCE-ID:20260304T180000Z',
        'DTSTART:20260304T200000Z',
        'SUMMARY:moved',
      ),
      vevent('UID:y', 'DTSTART:20260302T100000Z', 'STATUS:CANCELLED'),
    );
    expect(starts(text, '2026-03-01', '2026-04-01')).toEqual([
      '2026-03-02T18:00:00.000Z',
      '2026-03-04T20:00:00.000Z',
      '2026-03-05T18:00:00.000Z',
    ]);
  });

  it('returns occurrences that overlap the window start', () => {
    const text = cal(vevent('UID:o', 'DTSTART:20260302T230000Z', 'DTEND:20260303T010000Z'));
    expect(starts(text, '2026-03-03T00:00:00Z', '2026-03-04')).toEqual([
      '2026-03-02T23:00:00.000Z',
    ]);
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
  it('writes escaped, folded events that parse back', () => {
    const long = 'Ü'.repeat(60);
    const text = toICalendar(
      [
        {
          id: 'e1',
          source: 'manual',
          channelId: 'cam',
          title: `Launch, day; 1 ${long}`,
          description: 'multi\nline',
          url: 'https://x.example',
          start: at('2026-03-10T18:00:00Z'),
          end: at('2026-03-10T19:00:00Z'),
          status: 'upcoming',
        },
      ],
      at('2026-03-01T00:00:00Z'),
    );
    for (const line of text.split('\r\n'))
      expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(75);
    expect(text).toContain('DTSTART:20260310T180000Z\r\n');
    expect(text).toContain('DTSTAMP:20260301T000000Z\r\n');
    const back = parseICalendar(text).events[0]!;
    expect(back.summary).toBe(`Launch, day; 1 ${long}`);
    expect(back.description).toBe('multi\nline\nchannel: cam');
    expect(back.durationMs).toBe(3_600_000);
  });

  it('escapes and folds per RFC 5545', () => {
    expect(escapeText('a\\b;c,d\ne')).toBe('a\\\\b\\;c\\,d\\ne');
    expect(foldLine('x'.repeat(80))).toBe(`${'x'.repeat(75)}\r\n ${'x'.repeat(5)}`);
  });
});
