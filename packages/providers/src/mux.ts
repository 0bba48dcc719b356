import { MUX_EVENTS } from './catalogue/mux.ts';
import { asInstant, asString, environmentRef, objectRef } from './fields.ts';
import { bodyDigest } from './hmac.ts';
import { type HmacScheme, verifyHmac } from './hmac-scheme.ts';
import type { Provider, VerifyRequest, VerifyResult } from './types.ts';

/**
 * `mux-signature: t=<unix>,v1=<hex>`: HMAC-SHA256 keyed with the secret's UTF-8 bytes over
 * `<t>.<raw body>`; any v1 may match; 5-minute tolerance. Mirrors @mux/mux-node's
 * verifySignature (checked against it in tests), including that only past timestamps are
 * stale, but signs the raw bytes rather than a decoded string.
 */
export const MUX_SCHEME: HmacScheme = {
  header: 'mux-signature',
  format: { kind: 'pairs', pairSeparator: ',', keyValueSeparator: '=', timestampKey: 't', signatureKey: 'v1' },
  algorithm: 'sha256',
  encoding: 'hex',
  secretEncoding: 'utf8',
  template: '{timestamp}.{body}',
  toleranceSeconds: 300,
};

export function verifyMuxSignature(request: VerifyRequest): VerifyResult {
  return verifyHmac(MUX_SCHEME, request);
}

export const mux: Provider = {
  id: 'mux',
  displayName: 'Mux',
  secretHelp:
    'In the Mux dashboard, open Settings → Webhooks, pick the environment, and click "Show Signing Secret" on the webhook whose URL is this source\'s ingest URL.',
  setupSteps: [
    'In the Mux dashboard, open Settings → Webhooks and choose the environment whose events you want.',
    'Click "Create new webhook", paste the ingest URL as the "URL to notify", and create it.',
    'Click "Show Signing Secret" on the new webhook and paste the secret into this source.',
  ],
  events: MUX_EVENTS,
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
