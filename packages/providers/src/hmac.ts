import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export function hmac(algorithm: 'sha256' | 'sha1' | 'sha512', key: string | Buffer, ...parts: (string | Buffer)[]): Buffer {
  const h = createHmac(algorithm, key);
  for (const part of parts) h.update(part);
  return h.digest();
}

/** Constant-time comparison of a computed digest with a candidate in the given encoding. */
export function digestMatches(expected: Buffer, candidate: string, encoding: 'hex' | 'base64'): boolean {
  // Compare the text forms so malformed candidates (wrong length, bad characters) fail
  // without throwing; both sides are the same length before timingSafeEqual runs.
  const a = Buffer.from(expected.toString(encoding));
  const b = Buffer.from(candidate);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A stable id for payloads that carry none, so retries of the same bytes deduplicate. */
export function bodyDigest(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}
