import { asInstant, asRecord, asString, bodyJson, firstInstant } from './fields.ts';
import { bodyDigest } from './hmac.ts';
import { type HmacScheme, verifyHmac } from './hmac-scheme.ts';
import type { HeaderMap, ObjectRef, Provider } from './types.ts';

/**
 * Standard Webhooks (standardwebhooks.com), as Svix and the many products built on it send:
 * `webhook-signature: v1,<base64> …` over `<webhook-id>.<webhook-timestamp>.<body>`, keyed
 * with the base64 part of a `whsec_` secret, 5-minute tolerance both ways.
 */
export const STANDARD_WEBHOOKS_SCHEME: HmacScheme = {
  header: 'webhook-signature',
  format: { kind: 'versioned', listSeparator: ' ', versionSeparator: ',', version: 'v1' },
  algorithm: 'sha256',
  encoding: 'base64',
  secretEncoding: 'whsec',
  template: '{header:webhook-id}.{timestamp}.{body}',
  timestampHeader: 'webhook-timestamp',
  toleranceSeconds: 300,
  futureToleranceSeconds: 300,
};

/** Svix's older `svix-*` header names carry the same scheme; read them when the standard ones are absent. */
function standardHeaders(headers: HeaderMap): HeaderMap {
  if (headers['webhook-signature'] || !headers['svix-signature']) return headers;
  return {
    ...headers,
    'webhook-id': headers['svix-id'],
    'webhook-timestamp': headers['svix-timestamp'],
    'webhook-signature': headers['svix-signature'],
  };
}

/** Svix-based senders often label `data` with its kind (`"object": "user"`); use it when they do. */
function dataObject(data: Record<string, unknown> | null): ObjectRef | null {
  const kind = data && asString(data.object);
  return data && kind ? { type: kind, id: asString(data.id) } : null;
}

export const standardWebhooks: Provider = {
  id: 'standard-webhooks',
  displayName: 'Standard Webhooks',
  secretHelp:
    'The sender\'s endpoint signing secret, starting with whsec_ (in Svix-based dashboards: the endpoint\'s page, "Signing Secret").',
  setupSteps: [
    "In the sender's dashboard (for Svix-based ones, the webhooks portal), add an endpoint and paste the ingest URL as its URL.",
    'Choose the event types to send and create the endpoint.',
    "On the endpoint's page, reveal its signing secret (whsec_…) and paste it into this source.",
  ],
  events: [],
  verify: (request) => verifyHmac(STANDARD_WEBHOOKS_SCHEME, { ...request, headers: standardHeaders(request.headers) }),
  normalize(parsed, members, rawHeaders, body) {
    const headers = standardHeaders(rawHeaders);
    const type = asString(parsed.type) ?? 'unknown';
    const sentAt = Number(headers['webhook-timestamp']);
    return {
      type,
      providerEventId: asString(headers['webhook-id']) ?? asString(parsed.id) ?? bodyDigest(body),
      providerEventType: type,
      occurredAt: firstInstant(parsed.timestamp) ?? (Number.isFinite(sentAt) ? asInstant(sentAt) : null),
      object: dataObject(asRecord(parsed.data)),
      environment: null,
      // The spec's payload is `{type, timestamp, data}`; a sender without `data` has its whole body forwarded.
      dataJson: members.get('data') ?? bodyJson(body),
    };
  },
};
