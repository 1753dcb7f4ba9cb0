import type { BusMessage, EventBus } from '../../ports/event-bus.js';

/** In-process bus; a listener that throws is dropped rather than breaking the publisher. */
export class MemoryBus implements EventBus {
  private readonly listeners = new Set<(message: BusMessage) => void>();

  publish(message: BusMessage): void {
    for (const listener of this.listeners) {
      try {
        listener(message);
      } catch {
        this.listeners.delete(listener);
      }
    }
  }

  subscribe(listener: (message: BusMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
