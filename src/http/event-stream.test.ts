import { describe, expect, it } from 'vitest';
import { StreamSlots } from './event-stream.js';

describe('StreamSlots', () => {
  it('caps streams per user and in all, and gives a slot back once', () => {
    const slots = new StreamSlots({ perUser: 2, total: 3 });
    const a1 = slots.take('ann');
    const a2 = slots.take('ann');
    expect([a1.ok, a2.ok]).toEqual([true, true]);
    const a3 = slots.take('ann');
    expect(a3.ok ? null : a3.reason).toMatch(/ann has 2 event streams open.*perUser/);
    expect(slots.take('bob').ok).toBe(true);
    const b2 = slots.take('bob');
    expect(b2.ok ? null : b2.reason).toMatch(/3 event streams are open.*total/);
    if (a1.ok) {
      a1.release();
      a1.release();
    }
    expect(slots.count).toBe(2);
    expect(slots.take('bob').ok).toBe(true);
    expect(slots.take('carl').ok).toBe(false);
  });
});
