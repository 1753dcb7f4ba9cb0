/** Options for one outbound HTTP request. */
export interface HttpRequest {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** Whole-request deadline, connect to last byte. */
  readonly timeoutMs: number;
  /** Larger bodies fail with `tooLarge` instead of being buffered. */
  readonly maxBytes: number;
  /** Redirects to follow (0 = none); a loop or more hops fail. */
  readonly maxRedirects?: number;
  readonly signal?: AbortSignal;
}

export type HttpResponse = {
  readonly ok: true;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** The URL that answered, after redirects (relative URIs resolve against it). */
  readonly url: string;
};

export type HttpFailureReason =
  'timeout' | 'network' | 'tooLarge' | 'redirects' | 'aborted' | 'badUrl';

export type HttpFailure = {
  readonly ok: false;
  readonly reason: HttpFailureReason;
  /** Human-readable, with no secrets (URLs redacted). */
  readonly error: string;
};

/** Outbound HTTP. Expected failures are values; any HTTP status is a response. */
export interface HttpClient {
  request(url: string, options: HttpRequest): Promise<HttpResponse | HttpFailure>;
}
