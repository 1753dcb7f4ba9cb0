import type { FastifyBaseLogger } from 'fastify';
import type { Auth } from '../app/auth.js';
import type { Catalog } from '../app/catalog.js';
import type { PollLoop } from '../app/poll-loop.js';
import type { Sentinel } from '../app/sentinel.js';
import type { TaskHealth } from '../app/supervisor.js';
import type { Clock } from '../ports/clock.js';
import type { EventBus } from '../ports/event-bus.js';
import type { Notifier } from '../ports/notifier.js';
import type { Store } from '../ports/store.js';
import type { EventStreamLimits } from './event-stream.js';

/** Everything the HTTP layer talks to. */
export interface HttpDeps {
  readonly catalog: Catalog;
  readonly store: Store;
  readonly sentinel: Sentinel;
  readonly poll: PollLoop;
  readonly auth: Auth;
  readonly bus: EventBus;
  readonly notifiers: ReadonlyMap<string, Notifier>;
  readonly metrics: { readonly contentType: string; text(): Promise<string> };
  readonly logger: FastifyBaseLogger | false;
  /** SSE comment interval that keeps proxies from closing an idle stream. */
  readonly heartbeatMs: number;
  /** Caps and buffers of the event stream (config `eventStream`). */
  readonly eventStream: EventStreamLimits;
  /** The supervised background tasks: any of them failing makes `/healthz` answer 503. */
  readonly health?: () => readonly TaskHealth[];
  /** Time for webhook signature windows; the wall clock when absent. */
  readonly clock?: Clock;
}
