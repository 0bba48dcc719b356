import { Buffer } from 'node:buffer';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { bodyBytes, secretKey } from './bytes.js';
import { WebhookVerificationError } from './errors.js';
import type { HooklineEvent } from './events.js';

/** The request body exactly as received: never a parsed object, whose bytes are gone. */
export type RawBody = string | Uint8Array | ArrayBuffer;

/** Fetch's `Headers` or anything with a case-insensitive `get`. */
export interface HeadersLike {
  get(name: string): string | null;
}

/** A plain object or Node's `IncomingHttpHeaders` (`req.headers`); names in any case. */
export type HeaderRecord = Readonly<Record<string, string | readonly string[] | undefined>>;

export type HeadersInput = HeadersLike | HeaderRecord;

export interface VerifyOptions {
  /** The clock verification runs at; defaults to the system clock. */
  now?: () => Date;
  /** How far the timestamp may be from `now`, either way. Default 300 (Standard Webhooks). */
  toleranceSeconds?: number;
}

export interface SignOptions {
  /** `webhook-id`; defaults to the body's `id` (as Hookline sends) or a random `msg_…`. */
  id?: string;
  /** `webhook-timestamp`; defaults to now. */
  timestamp?: Date;
}

/**
 * The three Standard Webhooks headers, ready to pass to `fetch` or a test request. A type
 * alias rather than an interface, so it is assignable to `Record<string, string>` (HeadersInit).
 */
export type SignedHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * Checks a Hookline delivery and returns its normalized event, or throws
 * `WebhookVerificationError` whose `reason` says what was wrong.
 *
 * `rawBody` must be the bytes as received: re-serializing a parsed body changes them. The
 * result is typed as the union of the event types this version knows; Hookline delivers other
 * types too (other providers, newer types), with the same envelope, so keep a default branch.
 */
export function verify(rawBody: RawBody, headers: HeadersInput, secret: string, options: VerifyOptions = {}): HooklineEvent {
  const body = bodyBytes(rawBody, 'verify');
  const key = secretKey(secret);
  const id = requireHeader(headers, 'webhook-id');
  const timestampText = requireHeader(headers, 'webhook-timestamp');
  const signatureText = requireHeader(headers, 'webhook-signature');

  const timestamp = parseTimestamp(timestampText);
  checkTimestamp(timestamp, options);

  const candidates = v1Signatures(signatureText);
  const expected = Buffer.from(hmacBase64(key, id, timestamp, body));
  // Every candidate is compared in full, so timing reveals neither which one matched nor how
  // much of any signature was right.
  let matched = false;
  for (const candidate of candidates) {
    const bytes = Buffer.from(candidate);
    if (bytes.length === expected.length && timingSafeEqual(bytes, expected)) matched = true;
  }
  if (!matched) {
    throw new WebhookVerificationError(
      'bad_signature',
      `no signature in webhook-signature matches the body (${candidates.length} v1 signature${candidates.length === 1 ? '' : 's'} checked); is this the destination's signing secret, and is the body unmodified?`,
    );
  }
  return parseEvent(typeof rawBody === 'string' ? rawBody : body);
}

/**
 * Signs a body as Hookline does, for testing your own handlers. Pass several secrets to
 * get several signatures, as during a secret rotation.
 */
export function sign(rawBody: RawBody, secret: string | readonly string[], options: SignOptions = {}): SignedHeaders {
  const body = bodyBytes(rawBody, 'sign');
  const secrets = typeof secret === 'string' ? [secret] : secret;
  if (secrets.length === 0) throw new TypeError('sign() needs at least one secret');
  const id = options.id ?? idFromBody(body) ?? `msg_${randomUUID().replaceAll('-', '')}`;
  const time = options.timestamp ?? new Date();
  if (Number.isNaN(time.getTime())) throw new TypeError('sign() got an invalid timestamp');
  const timestamp = Math.floor(time.getTime() / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((s) => `v1,${hmacBase64(secretKey(s), id, timestamp, body)}`).join(' '),
  };
}

/** One header's value from any supported headers shape; duplicates are joined as Node joins them. */
export function readHeader(headers: HeadersInput, name: string): string | undefined {
  if (typeof (headers as HeadersLike).get === 'function') return (headers as HeadersLike).get(name) ?? undefined;
  const record = headers as HeaderRecord;
  let value = record[name];
  if (value === undefined) {
    const wanted = name.toLowerCase();
    for (const key of Object.keys(record)) {
      if (key.toLowerCase() === wanted) {
        value = record[key];
        break;
      }
    }
  }
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(', ');
}

function hmacBase64(key: Buffer, id: string, timestamp: number, body: Buffer): string {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
}

function requireHeader(headers: HeadersInput, name: string): string {
  const value = readHeader(headers, name)?.trim();
  if (!value) throw new WebhookVerificationError('missing_header', `the ${name} header is missing`, { header: name });
  return value;
}

function parseTimestamp(text: string): number {
  const value = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(value)) {
    throw new WebhookVerificationError('invalid_header', `webhook-timestamp must be unix seconds, got "${text.slice(0, 40)}"`, {
      header: 'webhook-timestamp',
    });
  }
  return value;
}

function checkTimestamp(timestamp: number, options: VerifyOptions): void {
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (!(tolerance >= 0)) throw new TypeError('toleranceSeconds must be a number of seconds, 0 or more');
  const now = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  const skew = now - timestamp;
  if (skew > tolerance) {
    throw new WebhookVerificationError(
      'timestamp_too_old',
      `webhook-timestamp is ${skew} s in the past (tolerance ${tolerance} s): a replay, or this machine's clock is wrong`,
    );
  }
  if (-skew > tolerance) {
    throw new WebhookVerificationError(
      'timestamp_too_new',
      `webhook-timestamp is ${-skew} s in the future (tolerance ${tolerance} s): this machine's clock is probably behind`,
    );
  }
}

/**
 * The `v1` signatures in a `webhook-signature` header. Entries are space-separated; a trailing
 * comma is dropped because a repeated header reaches us joined with ", " (base64 has no commas).
 */
function v1Signatures(header: string): string[] {
  const versions = new Set<string>();
  const found: string[] = [];
  for (const raw of header.split(/\s+/)) {
    const entry = raw.endsWith(',') ? raw.slice(0, -1) : raw;
    const comma = entry.indexOf(',');
    if (comma <= 0) continue;
    const version = entry.slice(0, comma);
    versions.add(version);
    if (version === 'v1') found.push(entry.slice(comma + 1));
  }
  if (found.length === 0) {
    const saw = versions.size > 0 ? `only ${[...versions].join(', ')}` : 'nothing of the form "v1,<base64>"';
    throw new WebhookVerificationError('bad_signature', `webhook-signature holds no v1 signature (found ${saw})`);
  }
  return found;
}

function parseEvent(body: string | Buffer): HooklineEvent {
  let text: string;
  try {
    text = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new WebhookVerificationError('invalid_payload', 'the body is signed but is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new WebhookVerificationError('invalid_payload', `the body is signed but is not JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new WebhookVerificationError('invalid_payload', 'the body is signed but is not a JSON object');
  }
  return parsed as HooklineEvent;
}

function idFromBody(body: Buffer): string | undefined {
  try {
    const id = (JSON.parse(body.toString('utf8')) as { id?: unknown } | null)?.id;
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
}
