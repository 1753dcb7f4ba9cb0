import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeMatrix } from '../fake-servers/matrix.server.js';
import { WebhookReceiver } from '../fake-servers/webhook-receiver.server.js';
import { removeDir, startTestOnair, type TestOnair } from './harness.js';

/** "Send test" is its own event: a receiver that acts on `live` never acts on a test. */
describe('test sends', () => {
  let receiver: WebhookReceiver;
  let matrix: FakeMatrix;
  let t: TestOnair;

  beforeEach(async () => {
    receiver = await WebhookReceiver.start();
    matrix = await FakeMatrix.start();
    t = await startTestOnair({
      targets: [
        { id: 'ops', type: 'webhook', url: receiver.url, secret: 'test-secret-1234' },
        {
          id: 'room',
          url: `matrix://${matrix.accessToken}@${new URL(matrix.url).host}/${matrix.roomId}`,
        },
      ],
    });
  });
  afterEach(async () => {
    await t.stop();
    await receiver.close();
    await matrix.close();
    removeDir(t.dir);
  });

  it('sends event `test` with X-Onair-Event: test to a webhook, signed like any other', async () => {
    const res = await t.api('POST', '/api/v1/targets/ops/test');
    expect(res.json).toMatchObject({ ok: true });
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request!.headers['x-onair-event']).toBe('test');
    expect(request!.body.event).toBe('test');
    expect(receiver.verify(request!, 'test-secret-1234')).toBe(true);
  });

  it('words a chat test as a test, not as a stream going live', async () => {
    expect((await t.api('POST', '/api/v1/targets/room/test')).json).toMatchObject({ ok: true });
    expect(matrix.timeline()).toHaveLength(1);
    expect(matrix.timeline()[0]).toMatch(/^🧪 Test message from onair to "room"/);
    expect(matrix.timeline()[0]).not.toMatch(/is live/);
  });
});
