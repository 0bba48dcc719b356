// Kept apart from verify.ts so that the public declarations name no Node type (Buffer): the
// main entry then type-checks in projects without @types/node, such as Workers.
import { Buffer } from 'node:buffer';
import type { RawBody } from './verify.js';

const SECRET_PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Throws a TypeError for a malformed secret: that is a configuration bug, not a bad delivery. */
export function secretKey(secret: string): Buffer {
  if (typeof secret !== 'string') throw new TypeError('the signing secret must be a string ("whsec_…")');
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!BASE64.test(encoded)) {
    throw new TypeError('the signing secret must be "whsec_" followed by base64, as shown when the destination was created');
  }
  return Buffer.from(encoded, 'base64');
}

/** The received body as bytes, without copying. */
export function bodyBytes(rawBody: RawBody, caller: string): Buffer {
  if (typeof rawBody === 'string') return Buffer.from(rawBody, 'utf8');
  if (ArrayBuffer.isView(rawBody)) return Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
  if (rawBody instanceof ArrayBuffer) return Buffer.from(rawBody);
  const got = rawBody === null ? 'null' : typeof rawBody;
  throw new TypeError(
    `${caller}() needs the raw body (string, Buffer, Uint8Array or ArrayBuffer) exactly as received; got ${got}${got === 'object' ? ' — was it parsed by a JSON body parser?' : ''}`,
  );
}
