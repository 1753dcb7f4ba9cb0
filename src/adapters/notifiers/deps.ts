import type { HttpClient } from '../../ports/http-client.js';

/** What the built-in notifiers need from the composition root. */
export interface NotifierDeps {
  readonly http: HttpClient;
  /** Deadline of one provider exchange. */
  readonly timeoutMs: number;
  readonly now: () => number;
}
