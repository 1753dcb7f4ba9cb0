import { describe, expect, it } from 'vitest';
import { brokenAlternation, judge, type Delivered } from './verdict.js';

const d = (deliveryId: string, channel = 'a', event = 'live'): Delivered => ({
  deliveryId,
  channel,
  event,
});

// The negative twin of every exactly-once check in this folder: the verdict sees each failure.
describe('reliability verdict', () => {
  it('passes a clean log', () => {
    expect(judge([d('1'), d('2')], [d('1'), d('2')])).toEqual({
      lost: [],
      doubled: {},
      duplicates: 0,
      unexpected: [],
      outOfOrder: [],
    });
  });

  it('reports lost, doubled, unexpected and out-of-order receipts', () => {
    const v = judge(
      [d('1'), d('2'), d('3'), d('4', 'b')],
      [d('2'), d('1'), d('2'), d('2'), d('x')],
    );
    expect(v.lost).toEqual(['3', '4']);
    expect(v.doubled).toEqual({ '2': 3 });
    expect(v.duplicates).toBe(2);
    expect(v.unexpected).toEqual(['x']);
    expect(v.outOfOrder).toEqual(['a']);
  });

  it('reports a channel whose announcements skip a live or an offline', () => {
    const events = [
      d('1', 'a', 'live'),
      d('2', 'a', 'offline'),
      d('3', 'a', 'offline'),
      d('4', 'b', 'live'),
      d('5', 'b', 'title'),
      d('6', 'b', 'live'),
      d('7', 'c', 'live'),
      d('8', 'c', 'title'),
      d('9', 'c', 'offline'),
    ];
    expect(brokenAlternation(events)).toEqual(['a', 'b']);
  });
});
