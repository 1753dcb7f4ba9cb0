import { connect, type MqttClient } from 'mqtt';
import { z } from 'zod';
import { STANDARD_TEMPLATES, renderMessage } from '../../../core/messages/message.js';
import type { Notification } from '../../../core/notification.js';
import type {
  Notifier,
  OptionsResult,
  RenderContext,
  SendContext,
  SendResult,
  Target,
} from '../../../ports/notifier.js';
import { withDeadline } from '../abort.js';
import { webhookBody } from '../webhook/webhook.body.js';
import { credentials, flag, parseOptionsWith, pathSegments, shorthand } from '../options.js';
import type { HomeAssistantBinarySensor, MqttPublish, MqttState } from './mqtt.wire.js';

const topicPart = z
  .string()
  .min(1)
  .refine(
    (t) => !/[#+]/.test(t) && !t.includes(String.fromCharCode(0)),
    'must not contain #, + or NUL',
  );
const options = z.strictObject({
  url: z.url({ protocol: /^mqtts?$/, error: 'must be an mqtt:// or mqtts:// URL' }),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  baseTopic: topicPart.default('onair'),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
  /** Publish a Home Assistant `binary_sensor` per channel. */
  discovery: z.boolean().default(false),
  discoveryPrefix: topicPart.default('homeassistant'),
});
type Options = z.output<typeof options>;

export interface MqttDeps {
  readonly timeoutMs: number;
}

/**
 * MQTT: a retained JSON state per channel (`<base>/<channel>/state`, `live` true/false), a
 * non-retained event with the webhook body (`<base>/<channel>/event`) and optionally Home
 * Assistant discovery. One short connection per send: notifications are rare, and a
 * connection held open would need its own lifecycle and reconnect policy.
 */
export class MqttNotifier implements Notifier {
  readonly type = 'mqtt';
  readonly schemes = ['mqtt', 'mqtts'];
  readonly secretOptions = ['password'];
  /** Edit and retract both mean "publish the new retained state": the state topic is the message. */
  readonly supports = { edit: true, retract: true };
  private readonly deps: MqttDeps;

  constructor(deps: MqttDeps) {
    this.deps = deps;
  }

  /** `mqtt[s]://[user:pass@]host[:port][/base/topic][?discovery=yes]`. */
  optionsFromUrl(raw: string): OptionsResult {
    const parsed = shorthand(raw, 'mqtt://host:1883');
    if (!parsed.ok) return parsed;
    const { url } = parsed;
    const { user, password } = credentials(url);
    const base = pathSegments(url).join('/');
    const discovery = flag(url.searchParams.get('discovery'));
    // Apprise's `?qos=`; parseOptions says what is wrong with a value other than 0, 1 or 2.
    const qos = url.searchParams.get('qos');
    return {
      ok: true,
      options: {
        url: `${url.protocol}//${url.host}`,
        ...(user === '' ? {} : { username: user }),
        ...(password === '' ? {} : { password }),
        ...(base === '' ? {} : { baseTopic: base }),
        ...(discovery === undefined ? {} : { discovery }),
        ...(qos === null ? {} : { qos: /^\d$/.test(qos) ? Number(qos) : qos }),
      },
    };
  }

  parseOptions(raw: unknown): OptionsResult {
    return parseOptionsWith(options, raw);
  }

  render(n: Notification, target: Target, context: RenderContext): MqttPublish[] {
    const opts = target.options as Options;
    const message = renderMessage(n, STANDARD_TEMPLATES, context.templates);
    const stateTopic = `${opts.baseTopic}/${n.channel.id}/state`;
    const state: MqttState = {
      live: n.event === 'live' || n.event === 'title',
      event: n.event,
      title: n.title,
      tags: n.tags,
      channel: {
        id: n.channel.id,
        name: message.channelName,
        platform: n.channel.platform,
        url: n.channel.url,
      },
      started_at: n.startedAt === null ? null : new Date(n.startedAt).toISOString(),
      at: new Date(n.at).toISOString(),
      message: message.text,
    };
    const publishes: MqttPublish[] = [];
    if (opts.discovery) {
      const objectId = `onair_${n.channel.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
      const config: HomeAssistantBinarySensor = {
        name: message.channelName,
        unique_id: objectId,
        object_id: objectId,
        state_topic: stateTopic,
        value_template: "{{ 'ON' if value_json.live else 'OFF' }}",
        json_attributes_topic: stateTopic,
        device_class: 'running',
        device: { identifiers: ['onair'], name: 'onair', manufacturer: 'onair' },
      };
      publishes.push({
        topic: `${opts.discoveryPrefix}/binary_sensor/${objectId}/config`,
        payload: JSON.stringify(config),
        retain: true,
      });
    }
    publishes.push({ topic: stateTopic, payload: JSON.stringify(state), retain: true });
    publishes.push({
      topic: `${opts.baseTopic}/${n.channel.id}/event`,
      payload: JSON.stringify(webhookBody(n)),
      retain: false,
    });
    return publishes;
  }

  async send(n: Notification, target: Target, context: SendContext): Promise<SendResult> {
    const opts = target.options as Options;
    const publishes = this.render(n, target, context);
    const broker = new URL(opts.url);
    const what = `mqtt ${broker.host}`;
    let client: MqttClient | undefined;
    const work = (async () => {
      client = connect(opts.url, {
        ...(opts.username === undefined ? {} : { username: opts.username }),
        ...(opts.password === undefined ? {} : { password: opts.password }),
        clientId: `onair-${n.id.slice(0, 12)}-${process.pid}`,
        connectTimeout: this.deps.timeoutMs,
        reconnectPeriod: 0,
        clean: true,
      });
      await connected(client);
      for (const p of publishes)
        await client.publishAsync(p.topic, p.payload, { qos: opts.qos, retain: p.retain });
      await client.endAsync();
    })();
    const outcome = await withDeadline(work, context.signal, this.deps.timeoutMs, () => {
      client?.end(true);
    });
    if (outcome.ok) {
      const stateTopic =
        publishes.find((p) => p.retain && p.topic.endsWith('/state'))?.topic ?? null;
      return {
        ok: true,
        messageId: stateTopic,
        detail: `${what} took ${publishes.length} messages`,
      };
    }
    client?.end(true);
    if (outcome.reason !== 'error')
      return {
        ok: false,
        retryable: true,
        retryAfterMs: null,
        error: `${what}: ${outcome.reason}`,
      };
    const code = (outcome.error as { code?: unknown }).code;
    // CONNACK 4/5 (v3) and 0x86/0x87 (v5): bad credentials or not authorised — retrying will not help.
    const refused = code === 4 || code === 5 || code === 0x86 || code === 0x87;
    return {
      ok: false,
      retryable: !refused,
      retryAfterMs: null,
      error: `${what}: ${refused ? 'not authorised' : typeof code === 'string' || typeof code === 'number' ? String(code) : 'connection failed'}`,
    };
  }
}

function connected(client: MqttClient): Promise<void> {
  return new Promise((resolve, reject) => {
    client.once('connect', () => {
      resolve();
    });
    client.once('error', reject);
    client.once('close', () => {
      reject(Object.assign(new Error('connection closed'), { code: 'ECONNCLOSED' }));
    });
  });
}
