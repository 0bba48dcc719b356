import { asInstant, asString, environmentRef, objectRef } from './fields.ts';
import { bodyDigest, digestMatches, hmac } from './hmac.ts';
import type { Provider, VerifyRequest, VerifyResult } from './types.ts';

const TOLERANCE_S = 300;

/**
 * `mux-signature: t=<unix>,v1=<hex>`: HMAC-SHA256 keyed with the secret's UTF-8 bytes over
 * `<t>.<raw body>`; any v1 may match. Mirrors @mux/mux-node's verifySignature (checked
 * against it in tests), including that only past timestamps are stale, but signs the raw
 * bytes rather than a decoded string.
 */
export function verifyMuxSignature({ body, headers, secrets, nowMs }: VerifyRequest): VerifyResult {
  const header = headers['mux-signature'];
  if (!header) return { ok: false, detail: 'missing mux-signature header' };
  let timestamp = -1;
  const signatures: string[] = [];
  for (const item of header.split(',')) {
    const [key, value] = item.split('=');
    if (key === 't') timestamp = Number.parseInt(value ?? '', 10);
    else if (key === 'v1' && value !== undefined) signatures.push(value);
  }
  if (timestamp === -1 || Number.isNaN(timestamp)) return { ok: false, detail: 'mux-signature has no timestamp' };
  if (signatures.length === 0) return { ok: false, detail: 'mux-signature has no v1 signature' };
  const matched = secrets.some((secret) => {
    const expected = hmac('sha256', secret, `${timestamp}.`, body);
    return signatures.some((candidate) => digestMatches(expected, candidate, 'hex'));
  });
  if (!matched) return { ok: false, detail: 'no v1 signature matches the payload' };
  const age = Math.floor(nowMs / 1000) - timestamp;
  if (age > TOLERANCE_S) return { ok: false, detail: `timestamp is ${age} s old (tolerance ${TOLERANCE_S} s)` };
  return { ok: true };
}

export const mux: Provider = {
  id: 'mux',
  displayName: 'Mux',
  verify: verifyMuxSignature,
  normalize(parsed, members, _headers, body) {
    const type = asString(parsed.type) ?? 'unknown';
    return {
      type,
      providerEventId: asString(parsed.id) ?? bodyDigest(body),
      providerEventType: type,
      occurredAt: asInstant(parsed.created_at),
      object: objectRef(parsed.object),
      environment: environmentRef(parsed.environment),
      dataJson: members.get('data') ?? 'null',
    };
  },
};
