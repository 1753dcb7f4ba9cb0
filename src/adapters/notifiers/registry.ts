import type { Notifier } from '../../ports/notifier.js';
import { WebhookNotifier, type WebhookDeps } from './webhook/webhook.notifier.js';

export type NotifierDeps = WebhookDeps;

/** Every built-in notifier kind. */
export function notifiers(deps: NotifierDeps): Notifier[] {
  return [new WebhookNotifier(deps)];
}
