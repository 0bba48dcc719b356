import { fastpix } from './fastpix.ts';
import { genericHmac } from './generic-hmac.ts';
import { github } from './github.ts';
import { mux } from './mux.ts';
import { shopify } from './shopify.ts';
import { standardWebhooks } from './standard-webhooks.ts';
import { stripe } from './stripe.ts';
import type { Provider } from './types.ts';

export { VIDEO_EVENT_TYPES, type VideoDataKind, type VideoEventType, videoEventType } from './catalogue/video.ts';
export * from './envelope.ts';
export { FASTPIX_SCHEME, fastpix, fastpixCanonicalType } from './fastpix.ts';
export { type GenericHmacSettings, genericHmac, parseGenericHmacSettings } from './generic-hmac.ts';
export { GITHUB_SCHEME, github } from './github.ts';
export * from './hmac-scheme.ts';
export * from './json-members.ts';
export { MUX_SCHEME, mux, verifyMuxSignature } from './mux.ts';
export { SHOPIFY_SCHEME, shopify } from './shopify.ts';
export { STANDARD_WEBHOOKS_SCHEME, standardWebhooks } from './standard-webhooks.ts';
export { STRIPE_SCHEME, stripe } from './stripe.ts';
export * from './types.ts';

/** Every provider a source can use, by id. Adding one is a module here plus its fixtures. */
export const PROVIDERS: ReadonlyMap<string, Provider> = new Map(
  [mux, fastpix, standardWebhooks, stripe, github, shopify, genericHmac].map((p) => [p.id, p]),
);

export function getProvider(id: string): Provider | undefined {
  return PROVIDERS.get(id);
}
