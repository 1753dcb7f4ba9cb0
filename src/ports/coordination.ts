import type { EventBus } from './event-bus.js';
import type { Leases } from './jobs.js';

/**
 * What processes of one deployment agree on: leases for the work only one of them may do at a
 * time (Twitch push, one recorder per channel, calendar feed refresh, keepalive expiry) and a
 * broadcast that carries state, event, delivery and keepalive messages to every process. In one
 * process both stay in memory; a cluster shares them through its database.
 */
export interface Coordination {
  readonly leases: Leases;
  /** Publishing delivers to this process's listeners at once and to every other process soon after. */
  readonly bus: EventBus;
  /** Time to live of singleton leases: a dead holder's work is taken over within it. */
  readonly leaseMs: number;
  /** Releases held leases and stops listening. */
  close(): Promise<void>;
}
