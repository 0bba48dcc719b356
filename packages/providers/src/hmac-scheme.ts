import { digestMatches, hmac } from './hmac.ts';
import type { VerifyRequest, VerifyResult } from './types.ts';

export type HmacAlgorithm = 'sha256' | 'sha1' | 'sha512';
export type DigestEncoding = 'hex' | 'base64';
/** How a tenant's secret text becomes key bytes: as typed, decoded, or a `whsec_`-prefixed base64 key. */
export type SecretEncoding = 'utf8' | 'base64' | 'hex' | 'whsec';

export const HMAC_ALGORITHMS: readonly HmacAlgorithm[] = ['sha256', 'sha1', 'sha512'];
export const DIGEST_ENCODINGS: readonly DigestEncoding[] = ['hex', 'base64'];

export type SignatureFormat =
  /** The header is one signature, after an optional fixed prefix (GitHub's `sha256=`). */
  | { kind: 'single'; prefix?: string }
  /** `t=<unix>,v1=<sig>,v1=<sig>` (Mux, Stripe): key/value pairs carrying the timestamp and any number of signatures. */
  | { kind: 'pairs'; pairSeparator: string; keyValueSeparator: string; timestampKey: string; signatureKey: string }
  /** `v1,<sig> v1,<sig>` (Standard Webhooks): a list of versioned signatures; other versions are ignored. */
  | { kind: 'versioned'; listSeparator: string; versionSeparator: string; version: string };

/**
 * A signature scheme as data, so a provider whose scheme is a plain HMAC variant is a config
 * over `verifyHmac` rather than code of its own (trigger.dev's webhook configs do the same).
 */
export interface HmacScheme {
  /** Lower-case name of the header carrying the signature(s). */
  header: string;
  format: SignatureFormat;
  algorithm: HmacAlgorithm;
  encoding: DigestEncoding;
  secretEncoding: SecretEncoding;
  /**
   * What is signed. `{body}` is the raw body (exactly once), `{timestamp}` the signed unix
   * timestamp, `{header:NAME}` another header's value; everything else is literal text.
   */
  template: string;
  /** Lower-case header holding the unix-seconds timestamp, when the signature header does not carry it. */
  timestampHeader?: string;
  /** How old a timestamp may be, in seconds; no age check when absent. */
  toleranceSeconds?: number;
  /**
   * How far ahead of the clock a timestamp may be, in seconds. Absent means unbounded: Mux's
   * and Stripe's own verifiers only reject old timestamps, and ours must agree with them.
   */
  futureToleranceSeconds?: number;
}

type Segment = { kind: 'text'; text: string } | { kind: 'body' } | { kind: 'timestamp' } | { kind: 'header'; name: string };

const TOKEN = /\{(body|timestamp|header:([A-Za-z0-9!#$%&'*+.^_`|~-]+))\}/g;

/** Splits a signing template into literal text and placeholders; throws on a malformed one. */
export function parseTemplate(template: string): Segment[] {
  const segments: Segment[] = [];
  let last = 0;
  let bodies = 0;
  for (const match of template.matchAll(TOKEN)) {
    if (match.index > last) segments.push({ kind: 'text', text: template.slice(last, match.index) });
    if (match[1] === 'body') {
      bodies++;
      segments.push({ kind: 'body' });
    } else if (match[1] === 'timestamp') segments.push({ kind: 'timestamp' });
    else segments.push({ kind: 'header', name: (match[2] as string).toLowerCase() });
    last = match.index + match[0].length;
  }
  if (last < template.length) segments.push({ kind: 'text', text: template.slice(last) });
  if (bodies !== 1) throw new Error('the signing template must contain {body} exactly once');
  const stray = segments.find((s) => s.kind === 'text' && /\{[a-z]+(:[^}]*)?\}/i.test(s.text));
  if (stray?.kind === 'text') throw new Error(`unknown placeholder in the signing template: ${stray.text.match(/\{[^}]*\}/)?.[0]}`);
  return segments;
}

const compiled = new WeakMap<HmacScheme, Segment[]>();

function segmentsOf(scheme: HmacScheme): Segment[] {
  let segments = compiled.get(scheme);
  if (!segments) {
    segments = parseTemplate(scheme.template);
    compiled.set(scheme, segments);
  }
  return segments;
}

export function secretKey(secret: string, encoding: SecretEncoding): Buffer {
  switch (encoding) {
    case 'utf8':
      return Buffer.from(secret, 'utf8');
    case 'base64':
      return Buffer.from(secret, 'base64');
    case 'hex':
      return Buffer.from(secret, 'hex');
    case 'whsec':
      return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  }
}

interface ParsedHeader {
  timestamp: string | null;
  signatures: string[];
}

function parseSignatureHeader(value: string, format: SignatureFormat): ParsedHeader | string {
  switch (format.kind) {
    case 'single': {
      const prefix = format.prefix ?? '';
      if (!value.startsWith(prefix)) return `signature does not start with "${prefix}"`;
      const signature = value.slice(prefix.length);
      return { timestamp: null, signatures: signature ? [signature] : [] };
    }
    case 'pairs': {
      // No trimming: the providers' own parsers do not trim either, and must agree with ours.
      let timestamp: string | null = null;
      const signatures: string[] = [];
      for (const item of value.split(format.pairSeparator)) {
        const at = item.indexOf(format.keyValueSeparator);
        if (at < 0) continue;
        const key = item.slice(0, at);
        const rest = item.slice(at + format.keyValueSeparator.length);
        if (key === format.timestampKey) timestamp = rest;
        else if (key === format.signatureKey) signatures.push(rest);
      }
      return { timestamp, signatures };
    }
    case 'versioned': {
      const signatures: string[] = [];
      for (const item of value.split(format.listSeparator)) {
        const at = item.indexOf(format.versionSeparator);
        if (at > 0 && item.slice(0, at) === format.version) signatures.push(item.slice(at + format.versionSeparator.length));
      }
      return { timestamp: null, signatures };
    }
  }
}

/** Unix seconds as the providers' libraries read them (`parseInt`), or null when unreadable. */
function parseTimestamp(text: string): number | null {
  const value = Number.parseInt(text, 10);
  return Number.isNaN(value) ? null : value;
}

/**
 * Verifies a request against a scheme: over the raw body bytes, with any of `secrets`
 * (rotation), any of the header's signatures matching, in constant time per comparison.
 */
export function verifyHmac(scheme: HmacScheme, { body, headers, secrets, nowMs }: VerifyRequest): VerifyResult {
  const segments = segmentsOf(scheme);
  const value = headers[scheme.header];
  if (!value) return { ok: false, detail: `missing ${scheme.header} header` };
  const parsed = parseSignatureHeader(value, scheme.format);
  if (typeof parsed === 'string') return { ok: false, detail: `${scheme.header}: ${parsed}` };
  const needsTimestamp = scheme.toleranceSeconds !== undefined || segments.some((s) => s.kind === 'timestamp');
  let timestamp: number | null = null;
  if (needsTimestamp) {
    const source =
      scheme.format.kind === 'pairs' ? parsed.timestamp : scheme.timestampHeader ? (headers[scheme.timestampHeader] ?? null) : null;
    const where = scheme.format.kind === 'pairs' ? scheme.header : (scheme.timestampHeader ?? 'timestamp header');
    if (source === null || source === '') return { ok: false, detail: `${where} has no timestamp` };
    timestamp = parseTimestamp(source);
    if (timestamp === null) return { ok: false, detail: `${where} timestamp is not a number` };
  }

  // Pairs and versioned lists name their signatures (`v1`); a single-value header is named by the header.
  const label =
    scheme.format.kind === 'pairs'
      ? scheme.format.signatureKey
      : scheme.format.kind === 'versioned'
        ? scheme.format.version
        : scheme.header;
  if (parsed.signatures.length === 0) return { ok: false, detail: `${scheme.header} has no ${label} signature` };

  const parts: (string | Buffer)[] = [];
  for (const segment of segments) {
    if (segment.kind === 'text') parts.push(segment.text);
    else if (segment.kind === 'body') parts.push(body);
    else if (segment.kind === 'timestamp') parts.push(String(timestamp));
    else {
      const other = headers[segment.name];
      if (other === undefined) return { ok: false, detail: `missing ${segment.name} header` };
      parts.push(other);
    }
  }

  const matched = secrets.some((secret) => {
    const expected = hmac(scheme.algorithm, secretKey(secret, scheme.secretEncoding), ...parts);
    return parsed.signatures.some((candidate) => digestMatches(expected, candidate, scheme.encoding));
  });
  if (!matched) return { ok: false, detail: `no ${label} signature matches the payload` };

  if (timestamp !== null) {
    const age = Math.floor(nowMs / 1000) - timestamp;
    if (scheme.toleranceSeconds !== undefined && age > scheme.toleranceSeconds) {
      return { ok: false, detail: `timestamp is ${age} s old (tolerance ${scheme.toleranceSeconds} s)` };
    }
    if (scheme.futureToleranceSeconds !== undefined && -age > scheme.futureToleranceSeconds) {
      return { ok: false, detail: `timestamp is ${-age} s in the future (tolerance ${scheme.futureToleranceSeconds} s)` };
    }
  }
  return { ok: true };
}

/** Computes a signature header value as the scheme's sender would: for tests, fixtures and the UI's "send test event". */
export function signHmac(
  scheme: HmacScheme,
  secret: string,
  body: Buffer | string,
  options: { timestamp?: number; headers?: Record<string, string> } = {},
): string {
  const parts: (string | Buffer)[] = [];
  for (const segment of segmentsOf(scheme)) {
    if (segment.kind === 'text') parts.push(segment.text);
    else if (segment.kind === 'body') parts.push(body);
    else if (segment.kind === 'timestamp') parts.push(String(options.timestamp));
    else parts.push(options.headers?.[segment.name] ?? '');
  }
  const signature = hmac(scheme.algorithm, secretKey(secret, scheme.secretEncoding), ...parts).toString(scheme.encoding);
  const format = scheme.format;
  switch (format.kind) {
    case 'single':
      return `${format.prefix ?? ''}${signature}`;
    case 'pairs':
      return `${format.timestampKey}${format.keyValueSeparator}${options.timestamp}${format.pairSeparator}${format.signatureKey}${format.keyValueSeparator}${signature}`;
    case 'versioned':
      return `${format.version}${format.versionSeparator}${signature}`;
  }
}
