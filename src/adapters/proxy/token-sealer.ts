import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import type { TokenSealer } from '../../app/playback/ports.js';

const IV_BYTES = 16;
const TAG_BYTES = 16;
/** Largest inflated payload accepted; a token is a few hundred bytes. */
const MAX_PAYLOAD = 16 * 1024;

/**
 * Proxy-URL tokens: JSON → AES-256-CTR (opaque: upstream URLs and their tokens are not readable
 * by the client) → HMAC-SHA256 over IV and ciphertext, truncated to 128 bits (encrypt-then-MAC:
 * nothing is decrypted before the MAC checks out). Both keys derive once from one 32-byte server
 * secret that the composition root persists in the store, so URLs survive a restart. No
 * compression: a deflate stream per URI made a long playlist block the event loop for seconds;
 * tokens sealed by earlier versions (deflated) still open while they live.
 */
export class HmacTokenSealer implements TokenSealer {
  private readonly encKey: Buffer;
  private readonly macKey: Buffer;

  constructor(secret: Buffer) {
    if (secret.length < 32) throw new Error('the proxy secret must be at least 32 bytes');
    this.encKey = createHmac('sha256', secret).update('onair proxy encryption').digest();
    this.macKey = createHmac('sha256', secret).update('onair proxy signature').digest();
  }

  seal(payload: unknown): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-ctr', this.encKey, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
    const tag = this.mac(iv, body);
    return Buffer.concat([iv, body, tag]).toString('base64url');
  }

  open(token: string): unknown {
    if (token.length > 8192 || !/^[A-Za-z0-9_-]+$/.test(token)) return null;
    const raw = Buffer.from(token, 'base64url');
    if (raw.length <= IV_BYTES + TAG_BYTES) return null;
    const iv = raw.subarray(0, IV_BYTES);
    const body = raw.subarray(IV_BYTES, raw.length - TAG_BYTES);
    const tag = raw.subarray(raw.length - TAG_BYTES);
    if (!timingSafeEqual(tag, this.mac(iv, body))) return null;
    try {
      const decipher = createDecipheriv('aes-256-ctr', this.encKey, iv);
      const plain = Buffer.concat([decipher.update(body), decipher.final()]);
      // JSON starts with `{`; anything else is a deflated token of an earlier version.
      const json =
        plain[0] === 0x7b
          ? plain.toString('utf8')
          : inflateRawSync(plain, { maxOutputLength: MAX_PAYLOAD }).toString('utf8');
      return JSON.parse(json) as unknown;
    } catch {
      return null;
    }
  }

  private mac(iv: Buffer, body: Buffer): Buffer {
    return createHmac('sha256', this.macKey)
      .update(iv)
      .update(body)
      .digest()
      .subarray(0, TAG_BYTES);
  }
}

/** The proxy secret: read from settings, or generated once and stored there. */
export async function proxySecret(settings: {
  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string): Promise<void>;
}): Promise<Buffer> {
  const stored = await settings.getSetting('proxy.secret');
  if (stored !== undefined && stored.length >= 43) return Buffer.from(stored, 'base64url');
  const secret = randomBytes(32);
  await settings.setSetting('proxy.secret', secret.toString('base64url'));
  return secret;
}
