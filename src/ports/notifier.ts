import type { Templates } from '../core/messages/message.js';
import type { Notification } from '../core/notification.js';

/** A configured destination, e.g. `{ id: 'ops', type: 'webhook', options: { url, secret } }`. */
export interface Target {
  readonly id: string;
  readonly type: string;
  readonly options: Readonly<Record<string, unknown>>;
}

/** The outcome of one attempt. Expected failures are values, never exceptions. */
export type SendResult =
  | {
      readonly ok: true;
      /** The provider's id for what was posted (kept with the delivery for a later edit or retraction). */
      readonly messageId: string | null;
      readonly detail: string;
      /** The provider said its quota is spent: wait this long before the next request to this target. */
      readonly pauseMs?: number;
    }
  | {
      readonly ok: false;
      readonly retryable: boolean;
      /** The provider asked to wait this long (Retry-After and the like). */
      readonly retryAfterMs: number | null;
      /** Human-readable, without secrets. */
      readonly error: string;
    };

export interface OptionIssue {
  readonly path: string;
  readonly message: string;
}

export type OptionsResult =
  { ok: true; options: Record<string, unknown> } | { ok: false; issues: OptionIssue[] };

/**
 * What a send does with the provider's earlier message of the same live session (the one the
 * session's `live` delivery posted and whose id its `ok` result returned).
 */
export type SendAction =
  | { readonly kind: 'post' }
  /** Replace the earlier message's content with this notification (e.g. "was live for 2h"). */
  | { readonly kind: 'edit'; readonly messageId: string }
  /** Remove the earlier message; this notification itself is not shown. */
  | { readonly kind: 'retract'; readonly messageId: string };

/** Everything besides the notification and the target that decides what goes on the wire. */
export interface RenderContext {
  readonly action: SendAction;
  /** The subscription's template overrides (checked at config load); other kinds use the notifier's defaults. */
  readonly templates: Templates;
}

export interface SendContext extends RenderContext {
  readonly signal: AbortSignal;
}

/**
 * A notifier kind. `render` is pure (same input, same request: snapshot-tested); `send` puts
 * the rendered request on the wire and maps the provider's answer to a `SendResult`.
 */
export interface Notifier {
  readonly type: string;
  /** Apprise-style URL schemes this kind accepts as a target shorthand (`ntfy`, `ntfys`, ...). */
  readonly schemes: readonly string[];
  /** Raw options for a shorthand URL with one of `schemes`; `parseOptions` checks them next. */
  optionsFromUrl(url: string): OptionsResult;
  /** Validates raw target options; every problem at once, with the option path. */
  parseOptions(raw: unknown): OptionsResult;
  /** Option names whose values are secrets (redacted in the API and logs). */
  readonly secretOptions: readonly string[];
  /** Actions besides `post` this kind can carry out; the worker never asks for others. */
  readonly supports: { readonly edit: boolean; readonly retract: boolean };
  /** Pure: the provider request(s) `send` would make, as plain data. */
  render(notification: Notification, target: Target, context: RenderContext): unknown;
  send(notification: Notification, target: Target, context: SendContext): Promise<SendResult>;
}
