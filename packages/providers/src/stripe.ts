import { STRIPE_EVENTS } from './catalogue/stripe.ts';
import { asInstant, asRecord, asString } from './fields.ts';
import { bodyDigest } from './hmac.ts';
import { type HmacScheme, verifyHmac } from './hmac-scheme.ts';
import type { EnvironmentRef, Provider } from './types.ts';

/**
 * `Stripe-Signature: t=<unix>,v1=<hex>[,v1=…][,v0=…]`: HMAC-SHA256 keyed with the whole
 * `whsec_…` secret as text over `<t>.<body>`; only v1 counts; 5-minute tolerance for old
 * timestamps, as stripe-node checks.
 */
export const STRIPE_SCHEME: HmacScheme = {
  header: 'stripe-signature',
  format: { kind: 'pairs', pairSeparator: ',', keyValueSeparator: '=', timestampKey: 't', signatureKey: 'v1' },
  algorithm: 'sha256',
  encoding: 'hex',
  secretEncoding: 'utf8',
  template: '{timestamp}.{body}',
  toleranceSeconds: 300,
};

/** Live or test mode, and the connected account when the event comes through Connect. */
function stripeEnvironment(parsed: Record<string, unknown>): EnvironmentRef | null {
  const account = asString(parsed.account);
  const mode = parsed.livemode === true ? 'live' : parsed.livemode === false ? 'test' : null;
  return account || mode ? { id: account, name: mode } : null;
}

export const stripe: Provider = {
  id: 'stripe',
  displayName: 'Stripe',
  secretHelp:
    'In the Stripe Dashboard, open Developers → Webhooks, select the endpoint whose URL is this source\'s ingest URL, and reveal its "Signing secret" (starts with whsec_).',
  setupSteps: [
    'In the Stripe Dashboard, open Workbench → Webhooks and click "Create an event destination" (without Workbench: Developers → Webhooks → "Add endpoint").',
    'Select the events to send (snapshot payload style), choose "Webhook endpoint", and paste the ingest URL as the endpoint URL.',
    "On the destination's page, reveal the signing secret (whsec_…) and paste it into this source.",
  ],
  events: STRIPE_EVENTS,
  verify: (request) => verifyHmac(STRIPE_SCHEME, request),
  normalize(parsed, members, _headers, body) {
    const type = asString(parsed.type) ?? 'unknown';
    const object = asRecord(asRecord(parsed.data)?.object);
    const objectType = object && asString(object.object);
    return {
      type,
      providerEventId: asString(parsed.id) ?? bodyDigest(body),
      providerEventType: type,
      occurredAt: asInstant(parsed.created),
      object: object && objectType ? { type: objectType, id: asString(object.id) } : null,
      environment: stripeEnvironment(parsed),
      dataJson: members.get('data') ?? 'null',
    };
  },
};
