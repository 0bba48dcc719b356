import { createHmac, randomBytes } from 'node:crypto';

/** A new destination signing secret: `whsec_` + base64 of 24 random bytes, as Svix issues them. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

/**
 * The Standard Webhooks signature of one message: `v1,<base64 HMAC-SHA256(key, id.timestamp.body)>`.
 * Several secrets (during a rotation) give several space-separated signatures.
 */
export function signStandardWebhook(secrets: readonly string[], id: string, timestampSeconds: number, body: string | Buffer): string {
  return secrets
    .map((secret) => {
      const hmac = createHmac('sha256', secretKey(secret));
      hmac.update(`${id}.${timestampSeconds}.`);
      hmac.update(body);
      return `v1,${hmac.digest('base64')}`;
    })
    .join(' ');
}
