import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Seals a stored response that carries a credential shown once (a new PIN, a kiosk token), so the idempotency store
 * can replay it for 24 h without holding it in clear: AES-256-GCM under a key derived from SESSION_SECRET with its own
 * label. Anyone who reads the table sees ciphertext; a replay opens it.
 */
export class ResponseSealer {
  private readonly key: Buffer;
  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('daycare/idempotency-seal/v1').digest();
  }
  seal(value: unknown): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([c.update(JSON.stringify(value), 'utf8'), c.final()]);
    return `v1.${Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64url')}`;
  }
  open(sealed: string): unknown {
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    const d = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    d.setAuthTag(raw.subarray(12, 28));
    return JSON.parse(Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8'));
  }
}
