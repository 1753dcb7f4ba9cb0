/**
 * A singleton held by one process at a time (one EventSub connection set, one recorder per live
 * session, one poller per shard). It expires unless renewed, so a holder that dies without
 * releasing it loses it within its time to live.
 */
export interface Lease {
  readonly name: string;
  /** Aborted when the lease is lost (renewal failed or found taken): stop the work it guards. */
  readonly signal: AbortSignal;
  /** Gives it up now so that nobody has to wait for it to expire. Idempotent. */
  release(): Promise<void>;
}

export interface Singleton {
  /** Stops trying; releases the lease (after the task settles) if held. */
  stop(): Promise<void>;
}

/** Named leases; one adapter per job runtime. */
export interface Leases {
  /**
   * Takes `name` if nobody holds it and keeps renewing it (every `ttlMs / 3`) until released or
   * lost; null when another holder has it.
   */
  tryAcquire(name: string, ttlMs: number): Promise<Lease | null>;
  /**
   * Runs `task` whenever this process holds `name`: tries every `ttlMs / 5`, so a dead holder's
   * lease is taken over at most that long after it expires. `task` should run until
   * `lease.signal` aborts; when it returns, the lease is released and taking it again starts over.
   */
  singleton(name: string, ttlMs: number, task: (lease: Lease) => Promise<void>): Singleton;
}

/** Process roles of a scaled-out deployment (`onair serve --role`). */
export type Role = 'all' | 'api' | 'worker';

/**
 * Starts and stops this process's share of poll and delivery work (none in the `api` role). The app
 * code is the same in every mode; what differs sits behind the due-times and coordination ports.
 */
export interface JobRuntime {
  /** Starts taking work (and, in a cluster, following other processes' changes). */
  start(): Promise<void>;
  /** New deliveries were committed to the outbox: get them sent soon. */
  deliveriesQueued(): void;
  /** Stops taking work; what is in flight finishes or is left to others (nothing is lost). */
  stop(): Promise<void>;
}
