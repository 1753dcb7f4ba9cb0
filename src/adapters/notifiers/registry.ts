import type { Notifier } from '../../ports/notifier.js';
import type { NotifierDeps } from './deps.js';
import { DiscordNotifier } from './discord/discord.notifier.js';
import { EmailNotifier } from './email/email.notifier.js';
import { MatrixNotifier } from './matrix/matrix.notifier.js';
import { MqttNotifier } from './mqtt/mqtt.notifier.js';
import { NtfyNotifier } from './ntfy/ntfy.notifier.js';
import { TelegramNotifier } from './telegram/telegram.notifier.js';
import { WebhookNotifier } from './webhook/webhook.notifier.js';

export type { NotifierDeps } from './deps.js';

/** Every built-in notifier kind. */
export function notifiers(deps: NotifierDeps): Notifier[] {
  return [
    new WebhookNotifier(deps),
    new NtfyNotifier(deps),
    new DiscordNotifier(deps),
    new MatrixNotifier(deps),
    new MqttNotifier(deps),
    new EmailNotifier(deps),
    new TelegramNotifier(deps),
  ];
}
