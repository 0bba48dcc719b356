import { SHOPIFY_EVENTS } from './catalogue/shopify.ts';
import { asInstant, asString, bodyJson } from './fields.ts';
import { bodyDigest } from './hmac.ts';
import { type HmacScheme, verifyHmac } from './hmac-scheme.ts';
import type { Provider } from './types.ts';

/** `X-Shopify-Hmac-Sha256`: base64 HMAC-SHA256 of the raw body keyed with the app's client secret text. */
export const SHOPIFY_SCHEME: HmacScheme = {
  header: 'x-shopify-hmac-sha256',
  format: { kind: 'single' },
  algorithm: 'sha256',
  encoding: 'base64',
  secretEncoding: 'utf8',
  template: '{body}',
};

/** The object a topic is about: its resource in the singular (`orders/create` → `order`). */
export function shopifyObjectType(topic: string): string {
  const resource = topic.split('/')[0] ?? topic;
  if (resource === 'app' || resource === 'shop') return 'shop';
  return resource.endsWith('ies') ? `${resource.slice(0, -3)}y` : resource.endsWith('s') ? resource.slice(0, -1) : resource;
}

export const shopify: Provider = {
  id: 'shopify',
  displayName: 'Shopify',
  secretHelp:
    'For an app: the Partner Dashboard (or Dev Dashboard) → your app → Client credentials → Client secret. For webhooks made in the shop admin: Settings → Notifications → Webhooks, the key shown under the list ("Your webhooks will be signed with …").',
  setupSteps: [
    'In the shop admin, open Settings → Notifications → Webhooks and click "Create webhook" (an app subscribes in its configuration or through the Admin API instead).',
    'Pick the event, choose JSON as the format, paste the ingest URL, and save.',
    'Paste the signing key into this source: the one under the webhook list ("Your webhooks will be signed with …"), or the app\'s client secret.',
  ],
  events: SHOPIFY_EVENTS,
  verify: (request) => verifyHmac(SHOPIFY_SCHEME, request),
  normalize(parsed, _members, headers, body) {
    const topic = headers['x-shopify-topic'] ?? 'unknown';
    const domain = headers['x-shopify-shop-domain'];
    return {
      type: topic,
      // The webhook id is the same on every retry of one delivery: the deduplication key Shopify documents.
      providerEventId: headers['x-shopify-webhook-id'] ?? headers['x-shopify-event-id'] ?? bodyDigest(body),
      providerEventType: topic,
      occurredAt: asInstant(headers['x-shopify-triggered-at']),
      object: { type: shopifyObjectType(topic), id: asString(parsed.id) },
      environment: domain ? { id: domain, name: null } : null,
      dataJson: bodyJson(body),
    };
  },
};
