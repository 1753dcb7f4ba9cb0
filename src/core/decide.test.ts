import { describe, expect, it } from 'vitest';
import { decide, isMaterialChange } from './decide.js';
import {
  INITIAL_STATE,
  channelStatus,
  type ChannelState,
  type Observation,
  type Policy,
} from './model.js';

const MIN = 60_000;
const T0 = Date.parse('2026-01-01T12:00:00Z');
const policy: Policy = { reconnectGraceMs: 10 * MIN, notifyCooldownMs: 0, unreachableAfter: 3 };

const live = (title: string | null, startedAt: number | null = null): Observation => ({
  kind: 'live',
  title,
  startedAt,
  tags: [],
  viewers: null,
  thumbnail: null,
  name: null,
});
const offline: Observation = { kind: 'offline' };
const failed: Observation = { kind: 'failed', error: 'HTTP 500', retryable: true };

/** Runs observations [minutes after T0, observation] through decide; returns the final state and every event as `kind:title` or `kind!reason`. */
function run(
  steps: readonly [number, Observation][],
  p: Policy = policy,
  start: ChannelState = INITIAL_STATE,
) {
  let state = start;
  const events: string[] = [];
  for (const [minute, obs] of steps) {
    const d = decide('alice', state, obs, p, T0 + minute * MIN);
    state = d.state;
    for (const e of d.events)
      events.push(e.suppressed ? `${e.kind}!${e.suppressed}` : `${e.kind}:${e.title ?? ''}`);
  }
  return { state, events };
}

describe('decide: the rules as a table', () => {
  const rows: {
    rule: string;
    steps: [number, Observation][];
    policy?: Policy;
    expected: string[];
  }[] = [
    {
      rule: '1 first sight live announces nothing',
      steps: [[0, live('A')]],
      expected: ['live!firstObservation'],
    },
    { rule: '1 first sight offline announces nothing', steps: [[0, offline]], expected: [] },
    {
      rule: '1 first sight offline, then live announces live',
      steps: [
        [0, offline],
        [1, live('A')],
      ],
      expected: ['live:A'],
    },
    {
      rule: '2 drop and reconnect within grace, same title: nothing',
      steps: [
        [0, offline],
        [1, live('A')],
        [2, offline],
        [5, live('A')],
      ],
      expected: ['live:A', 'live!reconnectGrace'],
    },
    {
      rule: '2 drop and reconnect within grace, new title: title',
      steps: [
        [0, offline],
        [1, live('A')],
        [2, offline],
        [5, live('B')],
      ],
      expected: ['live:A', 'title:B'],
    },
    {
      rule: '2 reconnect after the grace: offline then live',
      steps: [
        [0, offline],
        [1, live('A')],
        [2, offline],
        [13, offline],
        [20, live('A')],
      ],
      expected: ['live:A', 'offline:A', 'live:A'],
    },
    {
      rule: '2 reconnect after the grace with no probe in between: offline then live',
      steps: [
        [0, offline],
        [1, live('A')],
        [2, offline],
        [30, live('A')],
      ],
      expected: ['live:A', 'offline:A', 'live:A'],
    },
    {
      rule: '3 title change while live: title',
      steps: [
        [0, offline],
        [1, live('A')],
        [2, live('B')],
      ],
      expected: ['live:A', 'title:B'],
    },
    {
      rule: '3 same title while live: nothing',
      steps: [
        [0, offline],
        [1, live('A')],
        [2, live('A')],
        [3, live(' A ')],
      ],
      expected: ['live:A'],
    },
    {
      rule: '3 title cleared while live: nothing',
      steps: [
        [0, offline],
        [1, live('A')],
        [2, live(null)],
      ],
      expected: ['live:A'],
    },
    {
      rule: '3 title change after a suppressed go-live announces live, not title',
      policy: { ...policy, notifyCooldownMs: 30 * MIN },
      steps: [
        [0, offline],
        [1, live('A')],
        [2, offline],
        [14, offline],
        [20, live('A')],
        [40, live('B')],
      ],
      expected: ['live:A', 'offline:A', 'live!cooldown', 'live:B'],
    },
    {
      rule: '4 drop is announced as offline once the grace passes',
      steps: [
        [0, offline],
        [1, live('A')],
        [2, offline],
        [11, offline],
        [12, offline],
        [13, offline],
      ],
      expected: ['live:A', 'offline:A'],
    },
    {
      rule: '4 a stall counts the grace from when the stream stopped, not from when it was noticed',
      steps: [
        [0, offline],
        [1, live('A')],
        // Noticed at minute 9, stopped at minute 2: the 10-minute grace ends at minute 12.
        [9, { kind: 'offline', reason: 'stalled', since: T0 + 2 * MIN }],
        [11, { kind: 'offline', reason: 'stalled', since: T0 + 2 * MIN }],
        [12, { kind: 'offline', reason: 'stalled', since: T0 + 2 * MIN }],
      ],
      expected: ['live:A', 'offline:A'],
    },
    {
      rule: '4 a stall older than the grace is announced at once',
      steps: [
        [0, offline],
        [1, live('A')],
        [30, { kind: 'offline', reason: 'stalled', since: T0 + 2 * MIN }],
      ],
      expected: ['live:A', 'offline:A'],
    },
    {
      rule: '2 a stalled stream that advances again within the grace is the same session',
      steps: [
        [0, offline],
        [1, live('A')],
        [5, { kind: 'offline', reason: 'stalled', since: T0 + 2 * MIN }],
        [8, live('A')],
        [30, offline],
        [41, offline],
      ],
      expected: ['live:A', 'live!reconnectGrace', 'offline:A'],
    },
    {
      rule: '4 a stall time in the future is taken as now',
      steps: [
        [0, offline],
        [1, live('A')],
        [2, { kind: 'offline', reason: 'stalled', since: T0 + 60 * MIN }],
        [11, offline],
        [12, offline],
      ],
      expected: ['live:A', 'offline:A'],
    },
    {
      rule: '4 with no grace, offline at once',
      policy: { ...policy, reconnectGraceMs: 0 },
      steps: [
        [0, offline],
        [1, live('A')],
        [2, offline],
      ],
      expected: ['live:A', 'offline:A'],
    },
    {
      rule: '4 a session live at first sight ends with offline (its live was known)',
      steps: [
        [0, live('A')],
        [1, offline],
        [20, offline],
      ],
      expected: ['live!firstObservation', 'offline:A'],
    },
    {
      rule: '4 offline of a never-announced live is recorded, not announced',
      policy: { ...policy, notifyCooldownMs: 30 * MIN },
      steps: [
        [0, offline],
        [1, live('A')],
        [2, offline],
        [14, offline],
        [20, live('A')],
        [25, offline],
        [40, offline],
      ],
      expected: ['live:A', 'offline:A', 'live!cooldown', 'offline!liveNotAnnounced'],
    },
    {
      rule: '5 cooldown suppresses a title and records it',
      policy: { ...policy, notifyCooldownMs: 5 * MIN },
      steps: [
        [0, offline],
        [1, live('A')],
        [2, live('B')],
        [7, live('C')],
      ],
      expected: ['live:A', 'title!cooldown', 'title:C'],
    },
    {
      rule: '6 failures change nothing but counters',
      steps: [
        [0, offline],
        [1, live('A')],
        [2, failed],
        [3, failed],
        [4, failed],
        [5, live('A')],
      ],
      expected: ['live:A'],
    },
    {
      rule: '6 failures while offline never announce',
      steps: [
        [0, offline],
        [1, failed],
        [2, failed],
        [30, failed],
      ],
      expected: [],
    },
    {
      rule: '6 a failure is not a drop: no grace, no offline',
      steps: [
        [0, offline],
        [1, live('A')],
        [2, failed],
        [20, failed],
        [30, live('B')],
      ],
      expected: ['live:A', 'title:B'],
    },
  ];
  it.each(rows)('rule $rule', ({ steps, expected, policy: p }) => {
    expect(run(steps, p).events).toEqual(expected);
  });

  it('rule 6: several failures make the channel unreachable, one success clears it', () => {
    const { state } = run([
      [0, offline],
      [1, failed],
      [2, failed],
      [3, failed],
    ]);
    expect(state.consecutiveFailures).toBe(3);
    expect(state.lastError).toBe('HTTP 500');
    expect(channelStatus(state, policy)).toBe('unreachable');
    expect(state.liveness).toBe('offline');
    const after = decide('alice', state, offline, policy, T0 + 4 * MIN).state;
    expect(channelStatus(after, policy)).toBe('offline');
    expect(after.lastError).toBeNull();
  });

  it('rule 7: a restart with the stored state re-announces nothing', () => {
    const before = run([
      [0, offline],
      [1, live('A')],
    ]);
    const stored: ChannelState = JSON.parse(JSON.stringify(before.state)) as ChannelState;
    expect(run([[2, live('A')]], policy, stored).events).toEqual([]);
  });
});

describe('decide: event ids', () => {
  it('derives ids from content: the same transition gets the same id, another gets another', () => {
    const a = decide(
      'alice',
      { ...INITIAL_STATE, liveness: 'offline', offlineAnnounced: true },
      live('A', T0),
      policy,
      T0 + 5_000,
    );
    const b = decide(
      'alice',
      { ...INITIAL_STATE, liveness: 'offline', offlineAnnounced: true },
      live('A', T0),
      policy,
      T0 + 9_000,
    );
    expect(a.events[0]!.id).toBe(b.events[0]!.id);
    const other = decide(
      'bob',
      { ...INITIAL_STATE, liveness: 'offline', offlineAnnounced: true },
      live('A', T0),
      policy,
      T0 + 5_000,
    );
    expect(other.events[0]!.id).not.toBe(a.events[0]!.id);
  });

  it('gives each title change of a session its own id', () => {
    const s = run([
      [0, offline],
      [1, live('A')],
    ]).state;
    const b = decide('alice', s, live('B'), policy, T0 + 2 * MIN);
    const a = decide('alice', b.state, live('A'), policy, T0 + 3 * MIN);
    expect(b.events[0]!.id).not.toBe(a.events[0]!.id);
  });

  it('uses the platform start time as the session, so push and poll agree', () => {
    const start = { ...INITIAL_STATE, liveness: 'offline' as const, offlineAnnounced: true };
    const push = decide('alice', start, live('A', T0 - 3_000), policy, T0);
    const poll = decide('alice', start, live('A', T0 - 3_000), policy, T0 + 40_000);
    expect(push.events[0]!.id).toBe(poll.events[0]!.id);
    expect(push.state.liveSince).toBe(T0 - 3_000);
  });
});

describe('isMaterialChange', () => {
  it('ignores probe bookkeeping and viewers but not liveness, title or reachability', () => {
    const s = run([
      [0, offline],
      [1, live('A')],
    ]).state;
    expect(isMaterialChange(s, { ...s, lastCheckedAt: T0 + 99, viewers: 7 }, 3)).toBe(false);
    expect(isMaterialChange(s, { ...s, title: 'B' }, 3)).toBe(true);
    expect(isMaterialChange(s, { ...s, tags: ['x'] }, 3)).toBe(true);
    expect(isMaterialChange(s, { ...s, consecutiveFailures: 2 }, 3)).toBe(false);
    expect(
      isMaterialChange({ ...s, consecutiveFailures: 2 }, { ...s, consecutiveFailures: 3 }, 3),
    ).toBe(true);
  });
});
