import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { FASTPIX_EVENTS } from './catalogue/fastpix.ts';
import { MUX_EVENTS } from './catalogue/mux.ts';
import { VIDEO_EVENT_TYPES } from './catalogue/video.ts';
import { REPO_ROOT } from './codegen/generate.ts';
import { FIXTURES_DIR, loadFixtures, signedHeaders, TEST_SECRETS } from './fixtures.ts';
import { getProvider, renderEnvelope, topLevelMembers } from './index.ts';

// ajv ships CommonJS; imported from ESM, its class and plugin are the modules' `default`.
const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;

const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'packages/providers/schema/normalized-event.schema.json'), 'utf8'));
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(schema);

const NOW = Date.UTC(2026, 10, 23, 10, 0, 0);
const fixtures = loadFixtures();

/** Ingest's path for one request, as services/relay/src/ingestor.ts runs it. */
function ingest(provider: string, body: Buffer, headers: Record<string, string>, settings: Record<string, unknown>) {
  const impl = getProvider(provider)!;
  const stored = impl.parseSettings ? impl.parseSettings(settings) : settings;
  const verdict = impl.verify({ body, headers, secrets: [TEST_SECRETS[provider]!], nowMs: NOW + 2000, settings: stored });
  expect(verdict).toEqual({ ok: true });
  const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const members = topLevelMembers(text)!;
  const event = impl.normalize(parsed, members, headers, body, stored);
  const rendered = renderEnvelope(event, {
    id: 'evt_01JDQ3Z8M1V6Y2K9T4R7W0XABC',
    provider: impl.id,
    sourceId: 'src_01JDQ3Z8M1V6Y2K9T4R7W0XABD',
    receivedAt: new Date(NOW + 2000),
  });
  return { event, rendered, parsed };
}

describe('every fixture, signed, verified, normalized and rendered', () => {
  it('covers every event type in the Mux and FastPix catalogues', () => {
    const names = new Set(fixtures.map((f) => f.name));
    expect(MUX_EVENTS.filter((e) => !names.has(`mux/${e.type}.json`)).map((e) => e.type)).toEqual([]);
    expect(FASTPIX_EVENTS.filter((e) => !names.has(`fastpix/${e.type}.json`)).map((e) => e.type)).toEqual([]);
  });

  it('has one or more fixtures for every other provider', () => {
    for (const provider of ['standard-webhooks', 'stripe', 'github', 'shopify', 'hmac']) {
      expect(fixtures.some((f) => f.provider === provider)).toBe(true);
    }
  });

  it.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, fixture) => {
    const headers = signedHeaders(fixture.provider, fixture.body, {
      secrets: [TEST_SECRETS[fixture.provider]!],
      nowMs: NOW,
      settings: fixture.settings,
      headers: fixture.headers,
    });
    const { event, rendered, parsed } = ingest(fixture.provider, fixture.body, headers, fixture.settings);

    expect(event.type).toBe(fixture.type);
    expect(event.providerEventType).toBe(fixture.providerType);
    expect(event.object?.type ?? null).toBe(fixture.objectType);

    const envelope = JSON.parse(rendered);
    const valid = validate(envelope);
    expect(validate.errors ?? [], ajv.errorsText(validate.errors)).toEqual([]);
    expect(valid).toBe(true);
    expect(envelope.type).toBe(fixture.type);
    expect(envelope.provider).toBe(fixture.provider);
    expect(Object.keys(envelope)).toEqual([
      'id',
      'type',
      'provider',
      'source_id',
      'occurred_at',
      'received_at',
      'object',
      'environment',
      'provider_event',
      'data',
    ]);

    // `data` is the provider's own bytes, spliced in, never re-serialized.
    const text = fixture.body.toString('utf8');
    const expectedData = fixture.data === 'member' ? topLevelMembers(text)!.get('data') : text.trim();
    expect(topLevelMembers(rendered)!.get('data')).toBe(expectedData);
    expect(envelope.data).toEqual(fixture.data === 'member' ? parsed.data : parsed);

    if (fixture.provider === 'mux' || fixture.provider === 'fastpix') {
      expect(envelope.provider_event.id).toBe(parsed.id);
      expect(envelope.occurred_at).toMatch(/^20\d\d-\d\d-\d\dT/);
      expect(envelope.environment?.id).toBeTruthy();
      expect(envelope.object?.id).toBeTruthy();
    }
  });
});

describe('the schema types data per provider', () => {
  it('rejects a Mux asset whose documented field has the wrong type', () => {
    const body = readFileSync(join(FIXTURES_DIR, 'mux/video.asset.ready.json'));
    const { rendered } = ingest('mux', body, signedHeaders('mux', body, { secrets: [TEST_SECRETS.mux!], nowMs: NOW }), {});
    const envelope = JSON.parse(rendered);
    envelope.data.duration = '2.976';
    expect(validate(envelope)).toBe(false);
    expect(ajv.errorsText(validate.errors)).toContain('/data/duration');
  });

  it('accepts fields the provider adds later, and values it adds to known lists', () => {
    const body = readFileSync(join(FIXTURES_DIR, 'mux/video.asset.ready.json'));
    const { rendered } = ingest('mux', body, signedHeaders('mux', body, { secrets: [TEST_SECRETS.mux!], nowMs: NOW }), {});
    const envelope = JSON.parse(rendered);
    envelope.data.brand_new_field = { nested: true };
    envelope.data.status = 'some_future_status';
    expect(validate(envelope)).toBe(true);
  });

  it('does not hold FastPix data to Mux field types', () => {
    const body = readFileSync(join(FIXTURES_DIR, 'fastpix/video.media.ready.json'));
    const { rendered } = ingest('fastpix', body, signedHeaders('fastpix', body, { secrets: [TEST_SECRETS.fastpix!], nowMs: NOW }), {});
    const envelope = JSON.parse(rendered);
    expect(typeof envelope.data.duration).toBe('string');
    expect(validate(envelope)).toBe(true);
  });

  it('lists every canonical video type', () => {
    expect(schema.$defs.VideoEventType.oneOf.map((v: { const: string }) => v.const)).toEqual(VIDEO_EVENT_TYPES.map((e) => e.type));
  });
});
