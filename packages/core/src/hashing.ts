import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;
const SCRYPT = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** Password hash: `scrypt$N$r$p$salt$hash`, parameters stored so they can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, 32, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return timingSafeEqual(actual, expected);
}

/**
 * API keys carry 192 random bits, so a fast hash is enough (no dictionary to attack) and
 * lets auth look the key up by its hash in one indexed query.
 */
export function hashApiKey(key: string): string {
  return sha256Hex(key);
}

/**
 * Ingest keys are bearer secrets in a URL (192 random bits, like API keys): sources are
 * looked up by this digest, never by the key. Migration 2026_12_01_0002 computes the same
 * digest in SQL (`encode(sha256(convert_to(key, 'UTF8')), 'hex')`) for keys stored before it.
 */
export function hashIngestKey(key: string): string {
  return sha256Hex(key);
}

/**
 * What the request log keeps of a key no source has: its first characters, enough for an
 * operator to tell a scanner from a mistyped URL, too few to be a key (a real one is 32).
 * The migration backfills old rows the same way, with `left(ingest_key, 6)`.
 */
export function ingestKeyHint(key: string): string {
  // By code point, as SQL's left() counts, so a hint never ends in half a surrogate pair.
  return Array.from(key.slice(0, 12)).slice(0, 6).join('');
}

/** A request URL fit for the logs: the ingest key in `/in/<key>` is cut to its hint. */
export function hideIngestKey(url: string): string {
  return url.replace(/^\/in\/([^/?#]+)/, (_, key: string) => `/in/${ingestKeyHint(key)}…`);
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Constant-time equality of two strings (false on length mismatch without early exit on content). */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const ab = typeof a === 'string' ? Buffer.from(a) : a;
  const bb = typeof b === 'string' ? Buffer.from(b) : b;
  if (ab.length !== bb.length) return false;
  return timingSafeEqual(ab, bb);
}
