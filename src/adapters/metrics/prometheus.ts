import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { TaskMetrics } from '../../app/supervisor.js';
import type { Metrics } from '../../ports/metrics.js';

export interface PrometheusSources {
  readonly channelsByStatus: () => Record<string, number>;
  readonly outbox: () => Promise<Record<string, number>>;
}

/** Prometheus metrics on a registry of its own (no globals). */
export class PrometheusMetrics implements Metrics, TaskMetrics {
  readonly registry = new Registry();
  private readonly probes: Counter<'platform' | 'result'>;
  private readonly probeSeconds: Histogram<'platform'>;
  private readonly deliveries: Counter<'type' | 'result'>;
  private readonly taskFailures: Counter<'task'>;
  private readonly probeChildren = new Map<
    string,
    { count: Counter.Internal; seconds: Histogram.Internal<'platform'> }
  >();

  constructor(sources: PrometheusSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'onair_process_' });
    this.probes = new Counter({
      name: 'onair_probes_total',
      help: 'Platform probes by result',
      labelNames: ['platform', 'result'],
      registers,
    });
    this.probeSeconds = new Histogram({
      name: 'onair_probe_duration_seconds',
      help: 'Platform probe duration',
      labelNames: ['platform'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.deliveries = new Counter({
      name: 'onair_deliveries_total',
      help: 'Delivery attempts by result',
      labelNames: ['type', 'result'],
      registers,
    });
    this.taskFailures = new Counter({
      name: 'onair_task_failures_total',
      help: 'Failed runs of supervised background tasks (each was restarted after a backoff)',
      labelNames: ['task'],
      registers,
    });
    new Gauge({
      name: 'onair_channels',
      help: 'Channels by status',
      labelNames: ['status'],
      registers,
      collect() {
        for (const [status, n] of Object.entries(sources.channelsByStatus()))
          this.set({ status }, n);
      },
    });
    new Gauge({
      name: 'onair_outbox_deliveries',
      help: 'Deliveries in the outbox by status (pending is the depth)',
      labelNames: ['status'],
      registers,
      async collect() {
        for (const [status, n] of Object.entries(await sources.outbox())) this.set({ status }, n);
      },
    });
  }

  probe(platform: string, result: 'live' | 'offline' | 'failed', durationMs: number): void {
    // Label-bound children, found once: hashing the labels on every probe shows in a 100k-channel profile.
    const key = `${platform}\u0000${result}`;
    let child = this.probeChildren.get(key);
    if (!child) {
      child = {
        count: this.probes.labels(platform, result),
        seconds: this.probeSeconds.labels(platform),
      };
      this.probeChildren.set(key, child);
    }
    child.count.inc();
    child.seconds.observe(durationMs / 1000);
  }

  delivery(type: string, result: 'sent' | 'retry' | 'failed'): void {
    this.deliveries.inc({ type, result });
  }

  taskFailed(task: string): void {
    this.taskFailures.inc({ task });
  }
}
