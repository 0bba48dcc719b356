/**
 * The provider fixtures (packages/providers/fixtures) and how each provider signs them, for
 * tests here and end to end. Fixtures hold no signatures: they are signed at run time, with
 * whatever secret and clock a test chooses.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FASTPIX_EVENTS } from './catalogue/fastpix.ts';
import { GITHUB_EVENTS } from './catalogue/github.ts';
import { MUX_EVENTS } from './catalogue/mux.ts';
import { SHOPIFY_EVENTS } from './catalogue/shopify.ts';
import { STRIPE_EVENTS } from './catalogue/stripe.ts';
import { FASTPIX_SCHEME } from './fastpix.ts';
import { genericHmacScheme, parseGenericHmacSettings } from './generic-hmac.ts';
import { GITHUB_SCHEME } from './github.ts';
import { type HmacScheme, signHmac } from './hmac-scheme.ts';
import { MUX_SCHEME } from './mux.ts';
import { SHOPIFY_SCHEME } from './shopify.ts';
import { STANDARD_WEBHOOKS_SCHEME } from './standard-webhooks.ts';
import { STRIPE_SCHEME } from './stripe.ts';
import type { EventTypeInfo } from './types.ts';

export const FIXTURES_DIR = resolve(fileURLToPath(new URL('../fixtures', import.meta.url)));

export interface Fixture {
  provider: string;
  /** Path under fixtures/, e.g. `mux/video.asset.ready.json`. */
  name: string;
  body: Buffer;
  /** The source's verification settings besides the secret. */
  settings: Record<string, unknown>;
  /** Headers the provider sends besides its signature (event name, delivery id…). */
  headers: Record<string, string>;
  providerType: string;
  /** The canonical type the relay must give it. */
  type: string;
  /** The canonical object type expected, or null when the event names none. */
  objectType: string | null;
  /** Whether `data` is the payload's `data` member or the whole body (GitHub, Shopify, generic). */
  data: 'member' | 'body';
}

/** A secret each provider accepts in its own format. */
export const TEST_SECRETS: Record<string, string> = {
  mux: 'mux-test-webhook-secret-0001',
  fastpix: 'ZmFzdHBpeC10ZXN0LXNpZ25pbmctc2VjcmV0LTAwMDE=',
  'standard-webhooks': 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  stripe: 'whsec_3f9a1c7e5b2d4e80a6c3f1b8d7e2a4c9',
  github: "It's a Secret to Everybody",
  shopify: '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',
  hmac: 'aG9va2xpbmUtZ2VuZXJpYy1obWFjLXNlY3JldA==',
};

function catalogued(events: readonly EventTypeInfo[], type: string): EventTypeInfo {
  const entry = events.find((e) => e.type === type);
  if (!entry) throw new Error(`fixture for ${type} has no catalogue entry`);
  return entry;
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.startsWith('_'))
    .sort();
}

function read(provider: string, file: string): Buffer {
  return readFileSync(join(FIXTURES_DIR, provider, file));
}

/** Every fixture with what normalizing it must give. */
export function loadFixtures(): Fixture[] {
  const fixtures: Fixture[] = [];
  const add = (provider: string, file: string, rest: Omit<Fixture, 'provider' | 'name' | 'body'>) =>
    fixtures.push({ provider, name: `${provider}/${file}`, body: read(provider, file), ...rest });
  const base = { settings: {}, headers: {} };

  for (const file of jsonFiles(join(FIXTURES_DIR, 'mux'))) {
    const entry = catalogued(MUX_EVENTS, file.slice(0, -5));
    add('mux', file, { ...base, providerType: entry.type, type: entry.canonical, objectType: entry.objectType, data: 'member' });
  }
  for (const file of jsonFiles(join(FIXTURES_DIR, 'mux/alt'))) {
    const type = JSON.parse(read('mux/alt', file).toString()).type as string;
    fixtures.push({
      provider: 'mux',
      name: `mux/alt/${file}`,
      body: read('mux/alt', file),
      ...base,
      providerType: type,
      type,
      objectType: catalogued(MUX_EVENTS, type).objectType,
      data: 'member',
    });
  }
  for (const file of jsonFiles(join(FIXTURES_DIR, 'fastpix'))) {
    const entry = catalogued(FASTPIX_EVENTS, file.slice(0, -5));
    add('fastpix', file, { ...base, providerType: entry.type, type: entry.canonical, objectType: entry.objectType, data: 'member' });
  }
  for (const file of jsonFiles(join(FIXTURES_DIR, 'stripe'))) {
    const entry = catalogued(STRIPE_EVENTS, file.slice(0, -5));
    add('stripe', file, { ...base, providerType: entry.type, type: entry.type, objectType: entry.objectType, data: 'member' });
  }
  for (const file of jsonFiles(join(FIXTURES_DIR, 'github'))) {
    const type = file.slice(0, -5);
    const event = type.split('.')[0] as string;
    add('github', file, {
      settings: {},
      headers: {
        'x-github-event': event,
        'x-github-delivery': randomUUID(),
        'x-github-hook-id': '512345678',
        'user-agent': 'GitHub-Hookshot/4f8b2a1',
      },
      providerType: event,
      type,
      objectType: catalogued(GITHUB_EVENTS, type).objectType,
      data: 'body',
    });
  }
  for (const file of jsonFiles(join(FIXTURES_DIR, 'shopify'))) {
    const topic = decodeURIComponent(file.slice(0, -5));
    add('shopify', file, {
      settings: {},
      headers: {
        'x-shopify-topic': topic,
        'x-shopify-webhook-id': randomUUID(),
        'x-shopify-event-id': randomUUID(),
        'x-shopify-shop-domain': 'hookline-audio.myshopify.com',
        'x-shopify-api-version': '2025-01',
        'x-shopify-triggered-at': '2026-11-23T15:14:04.123456789Z',
      },
      providerType: topic,
      type: topic,
      objectType: catalogued(SHOPIFY_EVENTS, topic).objectType,
      data: 'body',
    });
  }
  for (const file of jsonFiles(join(FIXTURES_DIR, 'standard-webhooks'))) {
    const type = file.slice(0, -5);
    const data = JSON.parse(read('standard-webhooks', file).toString()).data as Record<string, unknown>;
    add('standard-webhooks', file, {
      settings: {},
      headers: { 'webhook-id': `msg_${randomUUID().replaceAll('-', '')}` },
      providerType: type,
      type,
      objectType: typeof data.object === 'string' ? data.object : null,
      data: 'member',
    });
  }
  const sources = JSON.parse(read('hmac', '_sources.json').toString()) as Record<
    string,
    { settings: Record<string, unknown>; headers: Record<string, string> }
  >;
  for (const file of jsonFiles(join(FIXTURES_DIR, 'hmac'))) {
    const source = sources[file];
    if (!source) throw new Error(`fixtures/hmac/_sources.json has no entry for ${file}`);
    const type = file.slice(0, -5);
    add('hmac', file, { settings: source.settings, headers: source.headers, providerType: type, type, objectType: null, data: 'body' });
  }
  return fixtures;
}

const SCHEMES: Record<string, HmacScheme> = {
  mux: MUX_SCHEME,
  fastpix: FASTPIX_SCHEME,
  'standard-webhooks': STANDARD_WEBHOOKS_SCHEME,
  stripe: STRIPE_SCHEME,
  github: GITHUB_SCHEME,
  shopify: SHOPIFY_SCHEME,
};

export function schemeFor(provider: string, settings: Record<string, unknown> = {}): HmacScheme {
  if (provider === 'hmac') return genericHmacScheme(parseGenericHmacSettings(settings));
  const scheme = SCHEMES[provider];
  if (!scheme) throw new Error(`no scheme for ${provider}`);
  return scheme;
}

/**
 * The headers a provider sends with `body`, signed as it signs (lower-case names, as ingest
 * sees them). `secrets` beyond the first add signatures where the scheme carries several.
 */
export function signedHeaders(
  provider: string,
  body: Buffer,
  options: { secrets: readonly string[]; nowMs: number; settings?: Record<string, unknown>; headers?: Record<string, string> },
): Record<string, string> {
  const scheme = schemeFor(provider, options.settings);
  const timestamp = Math.floor(options.nowMs / 1000);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (scheme.timestampHeader) headers[scheme.timestampHeader] = String(timestamp);
  const signatures = options.secrets.map((secret) => signHmac(scheme, secret, body, { timestamp, headers }));
  const format = scheme.format;
  headers[scheme.header] =
    format.kind === 'versioned'
      ? signatures.join(format.listSeparator)
      : format.kind === 'pairs'
        ? [
            `${format.timestampKey}${format.keyValueSeparator}${timestamp}`,
            ...signatures.map((s) => s.slice(s.indexOf(format.pairSeparator) + 1)),
          ].join(format.pairSeparator)
        : (signatures[0] as string);
  return headers;
}
