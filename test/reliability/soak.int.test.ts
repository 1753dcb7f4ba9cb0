import { describe, expect, it } from 'vitest';
import { recordFigures } from './serve-process.js';
import { runSoak } from './soak.js';

/** CI's short soak: 10,000 flapping channels for one minute (`npm run soak` runs longer ones). */
describe('soak (short)', () => {
  it('polls 10,000 flapping channels for a minute within memory and descriptor bounds', async () => {
    const result = await runSoak({ channels: 10_000, minutes: 1, sampleMs: 3_000 });
    recordFigures('soak', {
      ...result,
      samples: result.samples.map(
        (s) =>
          `${s.atS}s ${(s.rss / 1_048_576).toFixed(1)}MB ${s.fds}fd ${s.sockets}sock ${s.delivered}sent`,
      ),
    });
    // It worked: every channel was probed at least once and flaps were announced.
    expect(result.probes).toBeGreaterThan(10_000);
    expect(result.delivered).toBeGreaterThan(100);
    // A minute is too short to tell a slow leak from V8's lazy heap growth (`npm run soak` for
    // that): here the bounds catch a gross leak — per-probe or per-delivery state kept forever.
    expect(result.rssPeak).toBeLessThan(768 * 1_048_576);
    expect(result.rssGrowth).toBeLessThan(96 * 1_048_576);
    expect(result.fdGrowth).toBeLessThan(20);
  }, 240_000);
});
