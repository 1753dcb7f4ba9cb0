import type { Logger } from '../ports/logger.js';

/** A part of the app with a start and a stop (either may be absent). */
export interface Module {
  readonly name: string;
  start?(): Promise<void> | void;
  stop?(): Promise<void> | void;
}

/**
 * Starts modules in order and stops them in reverse. When a start fails, the modules already
 * started are stopped (in reverse) before the failure is thrown on, so a failed start-up leaves
 * nothing running or open behind it.
 */
export class Lifecycle {
  private readonly logger: Logger;
  private readonly started: Module[] = [];
  private stopping: Promise<void> | null = null;

  constructor(logger: Logger) {
    this.logger = logger;
  }

  /** Starts `module` (if it has a start) and remembers it for `stop()`; rolls back on failure. */
  async start(module: Module): Promise<void> {
    if (this.stopping) throw new Error(`cannot start ${module.name}: stopping`);
    try {
      await module.start?.();
    } catch (error) {
      this.logger.error({ module: module.name, err: error }, 'start failed; stopping what started');
      await this.stop();
      throw error;
    }
    this.started.push(module);
  }

  /** Starts each module in order (see `start`). */
  async startAll(modules: readonly Module[]): Promise<void> {
    for (const module of modules) await this.start(module);
  }

  /** Stops every started module, last started first; a failing stop is logged and the rest go on. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const module of this.started.splice(0).reverse()) {
        try {
          await module.stop?.();
        } catch (error) {
          this.logger.error({ module: module.name, err: error }, 'stop failed');
        }
      }
    })();
    return this.stopping;
  }
}
