import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Encrypts tenant secrets (provider signing secrets, destination signing keys, ingest keys)
 * at rest with AES-256-GCM under HOOKLINE_SECRET_KEY. Stored form: `v1.<iv>.<tag>.<ciphertext>`,
 * base64url parts. Key rotation: seals with the current key, opens with the current key or
 * else a previous one (HOOKLINE_SECRET_KEY_PREVIOUS) until `admin reseal` has re-sealed
 * everything; GCM's tag tells which key sealed a value, so none is stored.
 */
export class SecretBox {
  readonly #key: Buffer;
  readonly #previous: readonly Buffer[];

  constructor(key: Buffer, previous: readonly Buffer[] = []) {
    if (key.length !== 32 || previous.some((k) => k.length !== 32)) throw new Error('secret key must be 32 bytes');
    this.#key = key;
    this.#previous = previous;
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return ['v1', iv.toString('base64url'), tag.toString('base64url'), ct.toString('base64url')].join('.');
  }

  open(sealed: string): string {
    const parts = parse(sealed);
    try {
      return openWith(this.#key, parts);
    } catch (err) {
      for (const key of this.#previous) {
        try {
          return openWith(key, parts);
        } catch {}
      }
      throw err;
    }
  }

  /** Whether the current key sealed this value (re-sealing passes those over). */
  sealedWithCurrentKey(sealed: string): boolean {
    try {
      openWith(this.#key, parse(sealed));
      return true;
    } catch {
      return false;
    }
  }
}

type Sealed = { iv: string; tag: string; ct: string };

function parse(sealed: string): Sealed {
  const [version, iv, tag, ct] = sealed.split('.');
  if (version !== 'v1' || iv === undefined || tag === undefined || ct === undefined) {
    throw new Error('sealed secret has an unknown format');
  }
  return { iv, tag, ct };
}

function openWith(key: Buffer, { iv, tag, ct }: Sealed): string {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
}
