import type { Leases, Singleton } from '../../ports/jobs.js';
import type { Logger } from '../../ports/logger.js';

/** A push source that runs until stopped (one EventSub session set, say). */
export interface PushSource {
  start(): void;
  stop(): void;
  whenIdle(): Promise<void>;
}

/**
 * Runs a push source only while this process holds its lease, so however many processes run,
 * exactly one opens the platform's session (Twitch allows a few per token, and three sessions
 * would triple every notification). A fresh source is made per term; when the lease is lost the
 * source stops and the next holder, once the lease expired, starts its own.
 */
export class LeasedPush {
  private readonly deps: {
    readonly leases: Leases;
    readonly name: string;
    readonly ttlMs: number;
    readonly create: () => PushSource;
    readonly logger: Logger;
  };
  private singleton: Singleton | null = null;
  private current: PushSource | null = null;

  constructor(deps: LeasedPush['deps']) {
    this.deps = deps;
  }

  /** Whether this process runs the source now. */
  get holding(): boolean {
    return this.current !== null;
  }

  start(): void {
    this.singleton ??= this.deps.leases.singleton(this.deps.name, this.deps.ttlMs, (lease) => {
      this.deps.logger.info({ lease: this.deps.name }, 'push lease taken: starting push here');
      const source = this.deps.create();
      this.current = source;
      source.start();
      return new Promise<void>((resolve) => {
        const end = (): void => {
          source.stop();
          if (this.current === source) this.current = null;
          this.deps.logger.info(
            { lease: this.deps.name },
            'push lease given up: push stopped here',
          );
          resolve();
        };
        if (lease.signal.aborted) end();
        else lease.signal.addEventListener('abort', end, { once: true });
      });
    });
  }

  async stop(): Promise<void> {
    const singleton = this.singleton;
    this.singleton = null;
    await singleton?.stop();
  }

  /** Resolves when the source running here (if any) has nothing in progress (tests, benchmarks). */
  async whenIdle(): Promise<void> {
    await this.current?.whenIdle();
  }
}
