/** Counters and timings the app reports; the Prometheus adapter implements it. */
export interface Metrics {
  probe(platform: string, result: 'live' | 'offline' | 'failed', durationMs: number): void;
  delivery(targetType: string, result: 'sent' | 'retry' | 'failed'): void;
}
