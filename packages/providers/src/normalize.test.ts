import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fastpixCanonicalType } from './fastpix.ts';
import { FIXTURES_DIR, signedHeaders, TEST_SECRETS } from './fixtures.ts';
import { getProvider, PROVIDERS, topLevelMembers } from './index.ts';
import { shopifyObjectType } from './shopify.ts';
import type { HeaderMap, ProviderEvent } from './types.ts';

const NOW = Date.UTC(2026, 10, 23, 10, 0, 0);

function normalize(provider: string, json: string, headers: HeaderMap = {}, settings?: Record<string, unknown>): ProviderEvent {
  const body = Buffer.from(json);
  return getProvider(provider)!.normalize(JSON.parse(json), topLevelMembers(json)!, headers, body, settings);
}

function fixture(path: string): string {
  return readFileSync(join(FIXTURES_DIR, path), 'utf8');
}

describe('provider registry', () => {
  it('registers every provider with a display name, a secret note and a catalogue', () => {
    expect([...PROVIDERS.keys()]).toEqual(['mux', 'fastpix', 'standard-webhooks', 'stripe', 'github', 'shopify', 'hmac']);
    for (const provider of PROVIDERS.values()) {
      expect(provider.displayName).toBeTruthy();
      expect(provider.secretHelp).toBeTruthy();
      expect(Array.isArray(provider.events)).toBe(true);
    }
  });

  it('takes verification options only where a scheme needs them', () => {
    expect([...PROVIDERS.values()].filter((p) => p.parseSettings).map((p) => p.id)).toEqual(['hmac']);
  });
});

describe('unknown types are kept, never dropped', () => {
  it.each([
    [
      'mux',
      '{"type":"video.asset.brand_new","id":"e1","object":{"type":"hologram","id":"h1"},"data":{"id":"h1"}}',
      'video.asset.brand_new',
    ],
    [
      'fastpix',
      '{"type":"video.media.ai.summary.ready","id":"e1","object":{"type":"media","id":"m1"},"data":{"id":"m1"}}',
      'video.media.ai.summary.ready',
    ],
    [
      'stripe',
      '{"id":"evt_1","type":"radar.early_fraud_warning.created","created":1763892000,"data":{"object":{"id":"issfr_1","object":"radar.early_fraud_warning"}}}',
      'radar.early_fraud_warning.created',
    ],
    ['standard-webhooks', '{"type":"widget.sparkled","timestamp":"2026-11-23T10:00:00Z","data":{}}', 'widget.sparkled'],
  ])('%s keeps %s', (provider, json, type) => {
    const event = normalize(provider, json, provider === 'standard-webhooks' ? { 'webhook-id': 'msg_1' } : {});
    expect(event.type).toBe(type);
    expect(event.providerEventType).toBe(type);
  });

  it('keeps an unknown object spelling as sent', () => {
    expect(normalize('mux', '{"type":"x","id":"e","object":{"type":"hologram","id":"h1"},"data":{}}').object).toEqual({
      type: 'hologram',
      id: 'h1',
    });
  });

  it('still normalizes a payload with no type, id or data', () => {
    const event = normalize('mux', '{"object":null}');
    expect(event).toMatchObject({ type: 'unknown', object: null, environment: null, occurredAt: null, dataJson: 'null' });
    expect(event.providerEventId).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('Mux', () => {
  it('takes object and environment from the payload, canonicalizing live and simulcast-target', () => {
    const live = normalize('mux', fixture('mux/video.live_stream.active.json'));
    expect(live.object).toEqual({ type: 'live_stream', id: 'g00vIr21CVV3P3tV8012vVGAztjDpv201XTTLGc8fwAQzk' });
    expect(live.environment).toEqual({ id: '26579i', name: 'Hampton' });
    expect(live.occurredAt).toBe('2020-08-03T17:41:50.000Z');
    const target = normalize('mux', fixture('mux/video.live_stream.simulcast_target.errored.json'));
    expect(target.object?.type).toBe('simulcast_target');
  });

  it('reads empty strings as absent (some senders send "" where Mux sends null)', () => {
    const event = normalize('mux', fixture('mux/alt/video.live_stream.active.laravel-empty-strings.json'));
    expect(event).toMatchObject({
      type: 'video.live_stream.active',
      providerEventId: 'bae68abf-bb91-47e9-b801-b27d430cd93e',
      environment: { id: 'pcg9mg', name: 'Development' },
      object: { type: 'live_stream', id: 'RVwmVtSN1Iz102GGFmrDuuKLWTjLX8HzY' },
    });
  });
});

describe('FastPix', () => {
  it.each([
    ['video.media.created', 'video.asset.created'],
    ['video.media.ready', 'video.asset.ready'],
    ['video.media.failed', 'video.asset.errored'],
    ['video.media.upload', 'video.upload.created'],
    ['video.upload.media_created', 'video.upload.asset_created'],
    ['video.media.live_stream.created', 'video.asset.live_stream_completed'],
    ['video.media.track.ready', 'video.asset.track.ready'],
    ['video.media.track.created', 'video.asset.track.created'],
    ['video.media.static_renditions.ready', 'video.asset.static_renditions.ready'],
    ['video.live_stream.preparing', 'video.live_stream.preparing'],
    ['video.live_stream.active', 'video.live_stream.active'],
    ['video.media.source.ready', 'video.media.source.ready'],
    ['video.media.mp4Support.ready', 'video.media.mp4Support.ready'],
  ])('%s → %s', (type, canonical) => {
    expect(fastpixCanonicalType(type)).toBe(canonical);
  });

  it('takes the workspace as environment, and accepts environment and object.name too', () => {
    const event = normalize('fastpix', fixture('fastpix/video.media.ready.json'));
    expect(event.environment).toEqual({ id: '5ta85f64-5717-4562-b3fc-2c963f66afa6', name: 'Development' });
    expect(event.object).toEqual({ type: 'asset', id: '3fa85f64-5717-4562-b3fc-2c963f66afa6' });
    expect(event.providerEventType).toBe('video.media.ready');
    const alt = normalize(
      'fastpix',
      '{"type":"video.live_stream.idle","object":{"name":"live-stream","id":"s1"},"Workspace":{"id":"w1","name":"production"},"created_at":"2026-06-22T10:45:30Z","data":{}}',
    );
    expect(alt).toMatchObject({ object: { type: 'live_stream', id: 's1' }, environment: { id: 'w1', name: 'production' } });
    expect(alt.occurredAt).toBe('2026-06-22T10:45:30.000Z');
  });

  it('falls back on the data for the object and workspace when the payload has neither', () => {
    const upload = normalize('fastpix', fixture('fastpix/video.media.upload.json'));
    expect(upload.object).toEqual({ type: 'upload', id: 'c9a1f0e2-7b3d-4e58-9a6c-2d4f8b1e3a70' });
    const created = normalize('fastpix', fixture('fastpix/video.upload.media_created.json'));
    expect(created.object).toEqual({ type: 'upload', id: 'c9a1f0e2-7b3d-4e58-9a6c-2d4f8b1e3a70' });
    expect(created.occurredAt).toBe('2026-06-22T12:38:27.310Z');
    const bare = normalize('fastpix', '{"type":"video.media.ready","id":"e","data":{"id":"m1","workspaceId":"w9"}}');
    expect(bare).toMatchObject({ object: { type: 'asset', id: 'm1' }, environment: { id: 'w9', name: null } });
  });

  describe('dashboard probe', () => {
    const fastpix = getProvider('fastpix')!;
    it('recognizes the unsigned {} FastPix sends when a URL is added', () => {
      const probe = readFileSync(join(FIXTURES_DIR, 'fastpix/_validation_probe.unsigned.json'));
      expect(fastpix.isProbe!(probe, { 'content-type': 'application/json' })).toBe(true);
      expect(fastpix.isProbe!(Buffer.from(' { }\n'), {})).toBe(true);
    });

    it('never takes a signed or non-empty body for a probe', () => {
      const signed = signedHeaders('fastpix', Buffer.from('{}'), { secrets: [TEST_SECRETS.fastpix!], nowMs: NOW });
      expect(fastpix.isProbe!(Buffer.from('{}'), signed)).toBe(false);
      expect(fastpix.isProbe!(Buffer.from('{"type":"video.media.ready"}'), {})).toBe(false);
      expect(fastpix.isProbe!(Buffer.from('[]'), {})).toBe(false);
      expect(fastpix.isProbe!(Buffer.from(''), {})).toBe(false);
    });

    it('is a FastPix behaviour only', () => {
      expect([...PROVIDERS.values()].filter((p) => p.isProbe).map((p) => p.id)).toEqual(['fastpix']);
    });
  });
});

describe('Standard Webhooks', () => {
  it('takes the event id from webhook-id, the time from the payload, and the object from a labelled data', () => {
    const event = normalize('standard-webhooks', fixture('standard-webhooks/user.created.json'), { 'webhook-id': 'msg_1' });
    expect(event).toMatchObject({
      type: 'user.created',
      providerEventId: 'msg_1',
      occurredAt: '2025-11-23T10:00:00.150Z',
      object: { type: 'user', id: 'user_2pQ7rZ3kLm8nVb4xT9wYc1dFh' },
    });
  });

  it('reads svix-id when webhook-id is absent, and falls back on the signed timestamp', () => {
    const event = normalize('standard-webhooks', '{"type":"a.b","data":{"x":1}}', {
      'svix-id': 'msg_svix',
      'svix-timestamp': '1763892000',
      'svix-signature': 'v1,x',
    });
    expect(event).toMatchObject({ providerEventId: 'msg_svix', occurredAt: '2025-11-23T10:00:00.000Z', object: null, dataJson: '{"x":1}' });
  });
});

describe('Stripe', () => {
  it('takes the object from data.object and the mode and account as environment', () => {
    const event = normalize('stripe', fixture('stripe/customer.subscription.updated.json'));
    expect(event).toMatchObject({
      type: 'customer.subscription.updated',
      providerEventId: 'evt_1QkYa9LkdIwHu7ixQm3R7tWv',
      occurredAt: '2024-12-12T17:20:00.000Z',
      object: { type: 'subscription', id: 'sub_1QkYa5LkdIwHu7ixZr2Hq8Lm' },
      environment: { id: 'acct_1PzT8bLkdIwHu7ix', name: 'live' },
    });
    expect(normalize('stripe', fixture('stripe/payment_intent.succeeded.json')).environment).toEqual({ id: null, name: 'test' });
  });
});

describe('GitHub', () => {
  it('types an event with an action as <event>.<action>, and one without by the event alone', () => {
    const headers = { 'x-github-event': 'issues', 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' };
    const issue = normalize('github', fixture('github/issues.opened.json'), headers);
    expect(issue).toMatchObject({
      type: 'issues.opened',
      providerEventType: 'issues',
      providerEventId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      object: { type: 'issue', id: '2701558372' },
      environment: { id: '862412345', name: 'hookline/relay' },
      occurredAt: '2026-11-23T09:12:44.000Z',
    });
    const push = normalize('github', fixture('github/push.json'), { 'x-github-event': 'push', 'x-github-delivery': 'd1' });
    expect(push).toMatchObject({ type: 'push', object: { type: 'commit', id: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c' } });
    expect(push.occurredAt).toBe('2025-11-23T08:59:58.000Z');
  });

  it('forwards the whole payload as data', () => {
    const json = ' {"zen":"Keep it logically awesome.","hook_id":1}\n';
    const event = normalize('github', json, { 'x-github-event': 'ping', 'x-github-delivery': 'd2' });
    expect(event).toMatchObject({ type: 'ping', object: { type: 'hook', id: '1' }, dataJson: json.trim() });
  });
});

describe('Shopify', () => {
  it('types by topic and dedupes on the webhook id', () => {
    const event = normalize('shopify', fixture('shopify/orders%2Fcreate.json'), {
      'x-shopify-topic': 'orders/create',
      'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      'x-shopify-event-id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
      'x-shopify-shop-domain': 'hookline-audio.myshopify.com',
      'x-shopify-triggered-at': '2026-11-23T15:14:04.123456789Z',
    });
    expect(event).toMatchObject({
      type: 'orders/create',
      providerEventId: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      object: { type: 'order', id: '5846193750302' },
      environment: { id: 'hookline-audio.myshopify.com', name: null },
      occurredAt: '2026-11-23T15:14:04.123Z',
    });
    expect(normalize('shopify', '{"id":1}', { 'x-shopify-topic': 'carts/update', 'x-shopify-event-id': 'e9' }).providerEventId).toBe('e9');
  });

  it.each([
    ['orders/create', 'order'],
    ['inventory_items/update', 'inventory_item'],
    ['collections/delete', 'collection'],
    ['app/uninstalled', 'shop'],
    ['shop/update', 'shop'],
    ['companies/create', 'company'],
  ])('%s is about a %s', (topic, type) => {
    expect(shopifyObjectType(topic)).toBe(type);
  });
});

describe('generic HMAC', () => {
  it('reads the type and id from the fields the settings name', () => {
    const provider = getProvider('hmac')!;
    const settings = provider.parseSettings!({ header: 'x-sig', type_field: 'event.name', id_field: 'event.uid' });
    const event = normalize('hmac', '{"event":{"name":"invoice.sent","uid":42}}', {}, settings);
    expect(event).toMatchObject({ type: 'invoice.sent', providerEventId: '42', dataJson: '{"event":{"name":"invoice.sent","uid":42}}' });
  });

  it('reads them from headers when configured, and defaults to type and id fields without settings', () => {
    const provider = getProvider('hmac')!;
    const settings = provider.parseSettings!({ header: 'x-sig', type_header: 'X-Event', id_header: 'X-Delivery' });
    const headers = { 'x-event': 'build.failed', 'x-delivery': 'dlv_1' };
    expect(normalize('hmac', '{"type":"ignored"}', headers, settings)).toMatchObject({ type: 'build.failed', providerEventId: 'dlv_1' });
    expect(normalize('hmac', '{"type":"t1","id":"i1"}', headers)).toMatchObject({ type: 't1', providerEventId: 'i1' });
  });
});
