import type { ChannelStatus } from '../core/model.js';
import type { DeliveryStatus, StoredEvent, StoredKeepalive } from './store.js';

/** What happened to a keepalive: created, removed (by a user or with its channel), or reached its TTL. */
export type KeepaliveChange = 'added' | 'removed' | 'expired';

/** Something the live feed (`/api/v1/events/stream`) and the web UI want to hear about. */
export type BusMessage =
  | { readonly type: 'event'; readonly event: StoredEvent }
  | {
      readonly type: 'state';
      readonly channelId: string;
      readonly status: ChannelStatus;
      readonly title: string | null;
    }
  | {
      readonly type: 'delivery';
      readonly eventId: string;
      readonly targetId: string;
      readonly status: DeliveryStatus;
      readonly attempts: number;
      readonly error: string | null;
    }
  | {
      readonly type: 'keepalive';
      readonly change: KeepaliveChange;
      readonly keepalive: StoredKeepalive;
    };

/** In-process publish/subscribe for live updates. */
export interface EventBus {
  publish(message: BusMessage): void;
  /** Returns an unsubscribe function. */
  subscribe(listener: (message: BusMessage) => void): () => void;
}
