import type { Notification } from '../core/notification.js';

/** A configured destination, e.g. `{ id: 'ops', type: 'webhook', options: { url, secret } }`. */
export interface Target {
  readonly id: string;
  readonly type: string;
  readonly options: Readonly<Record<string, unknown>>;
}

/** The outcome of one attempt. Expected failures are values, never exceptions. */
export type SendResult =
  | { readonly ok: true; readonly messageId: string | null; readonly detail: string }
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

/** A notifier kind: validates its target options, renders (pure), then sends. */
export interface Notifier {
  readonly type: string;
  /** Validates raw target options; every problem at once, with the option path. */
  parseOptions(raw: unknown): { ok: true; options: Record<string, unknown> } | { ok: false; issues: OptionIssue[] };
  /** Option names whose values are secrets (redacted in the API and logs). */
  readonly secretOptions: readonly string[];
  send(notification: Notification, target: Target, signal: AbortSignal): Promise<SendResult>;
}
