import { describe, expect, it } from 'vitest';
import {
  NOTIFICATIONS,
  notifierContract,
  type NotifierPeer,
} from '../../../../test/contracts/notifier.contract.js';
import { closedPort, silentServer } from '../../../../test/contracts/notifier-fakes.js';
import { TEST_TIMEOUT_MS } from '../../../../test/contracts/notifier-peers.js';
import { Mosquitto } from '../../../../test/fake-servers/mosquitto.server.js';
import type { Target } from '../../../ports/notifier.js';
import { MqttNotifier } from './mqtt.notifier.js';

const target = (url: string): Target => ({
  id: 'ha',
  type: 'mqtt',
  options: {
    url,
    username: 'onair',
    password: 'mqtt-secret-pw',
    baseTopic: 'onair',
    qos: 1,
    discovery: true,
    discoveryPrefix: 'homeassistant',
  },
});

async function mosquittoPeer(): Promise<NotifierPeer & { broker: Mosquitto }> {
  const broker = await Mosquitto.start();
  const silent = await silentServer();
  const seen = await broker.listen('onair/+/event');
  return {
    broker,
    notifier: new MqttNotifier({ timeoutMs: TEST_TIMEOUT_MS }),
    target: target(broker.url),
    secrets: ['mqtt-secret-pw'],
    unreachable: async () => target(`mqtt://127.0.0.1:${await closedPort()}`),
    silent: async () => target(`mqtt://127.0.0.1:${silent.port}`),
    taken: async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return seen.messages.length;
    },
    close: async () => {
      await seen.stop();
      await silent.close();
      await broker.stop();
    },
  };
}

notifierContract('mqtt', mosquittoPeer, { http: false });

describe('mqtt notifier against mosquitto', () => {
  it('keeps a retained state per channel that flips to offline, and a Home Assistant sensor', async () => {
    const peer = await mosquittoPeer();
    try {
      const signal = new AbortController().signal;
      const live = await peer.notifier.send(NOTIFICATIONS.live, peer.target, {
        action: { kind: 'post' },
        templates: {},
        signal,
      });
      expect(live).toMatchObject({ ok: true, messageId: 'onair/alice/state' });
      let retained = await peer.broker.retained('#');
      expect(JSON.parse(retained.get('onair/alice/state') ?? '{}')).toMatchObject({
        live: true,
        title: 'Speedrun & chill',
      });
      expect(
        JSON.parse(retained.get('homeassistant/binary_sensor/onair_alice/config') ?? '{}'),
      ).toMatchObject({ state_topic: 'onair/alice/state', unique_id: 'onair_alice' });
      expect(retained.has('onair/alice/event')).toBe(false);

      const off = await peer.notifier.send(NOTIFICATIONS.offline, peer.target, {
        action: { kind: 'edit', messageId: 'onair/alice/state' },
        templates: {},
        signal,
      });
      expect(off.ok).toBe(true);
      retained = await peer.broker.retained('onair/#');
      expect(JSON.parse(retained.get('onair/alice/state') ?? '{}')).toMatchObject({
        live: false,
        event: 'offline',
      });
    } finally {
      await peer.close();
    }
  });
});
