import { listen, readBody, type Running } from './listen.js';

/**
 * A fake Twitch OAuth server (`POST /oauth2/token`, client credentials; PROTOCOLS.md §2). Issues
 * `app-<n>` tokens that live `expiresIn` seconds; a test can refuse the credentials or revoke tokens.
 */
export class FakeTwitchAuth {
  readonly clientId: string;
  readonly clientSecret: string;
  expiresIn = 3600;
  tokenRequests = 0;
  /** Tokens Helix accepts. */
  readonly valid = new Set<string>();
  private running: Running | null = null;

  private constructor(clientId: string, clientSecret: string) {
    this.clientId = clientId;
    this.clientSecret = clientSecret;
  }

  static async start(
    clientId = 'fake-client',
    clientSecret = 'fake-secret',
  ): Promise<FakeTwitchAuth> {
    const fake = new FakeTwitchAuth(clientId, clientSecret);
    fake.running = await listen((req, res) => {
      void readBody(req).then((body) => {
        if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/oauth2/token') {
          res.writeHead(404).end();
          return;
        }
        fake.tokenRequests++;
        const form = new URLSearchParams(body.toString('utf8'));
        if (
          form.get('grant_type') !== 'client_credentials' ||
          form.get('client_id') !== fake.clientId ||
          form.get('client_secret') !== fake.clientSecret
        ) {
          res
            .writeHead(400, { 'content-type': 'application/json' })
            .end(JSON.stringify({ status: 400, message: 'invalid client' }));
          return;
        }
        const token = `app-${fake.tokenRequests}`;
        fake.valid.add(token);
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            access_token: token,
            expires_in: fake.expiresIn,
            token_type: 'bearer',
          }),
        );
      });
    });
    return fake;
  }

  get url(): string {
    if (!this.running) throw new Error('not started');
    return this.running.url;
  }

  revokeAll(): void {
    this.valid.clear();
  }

  async close(): Promise<void> {
    await this.running?.close();
  }
}
