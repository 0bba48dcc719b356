import { describe, expect, it } from 'vitest';
import {
  EVENT_TYPE_PROVIDERS,
  EVENT_TYPES,
  type GenericHooklineEvent,
  type HooklineEvent,
  isHooklineEvent,
} from '../../../../sdk/js/src/events.generated.ts';
import { VIDEO_EVENT_TYPES } from '../catalogue/video.ts';
import { generate, staleOutputs } from './generate.ts';
import { buildCatalogue, videoEmitters } from './schema.ts';
import { eventTypeName, typeOf } from './typescript.ts';

describe('generated files', () => {
  it('are up to date (node --import tsx packages/providers/scripts/generate.ts)', () => {
    expect(staleOutputs(generate())).toEqual([]);
  });

  it('give every canonical video type a provider that emits it', () => {
    for (const [type, emitters] of videoEmitters()) expect(emitters.length, type).toBeGreaterThan(0);
  });

  it('list the same canonical types in the catalogue, the SDK and the catalogue modules', () => {
    const types = VIDEO_EVENT_TYPES.map((e) => e.type);
    expect([...EVENT_TYPES]).toEqual(types);
    expect(buildCatalogue().video.map((e) => e.type)).toEqual(types);
    expect(Object.keys(EVENT_TYPE_PROVIDERS)).toEqual(types);
  });

  it('let a consumer narrow data by type and provider', () => {
    const event = {
      id: 'evt_1',
      type: 'video.asset.ready',
      provider: 'mux',
      source_id: 'src_1',
      occurred_at: null,
      received_at: '2026-11-23T10:00:00.000Z',
      object: { type: 'asset', id: 'a1' },
      environment: null,
      provider_event: { id: 'p1', type: 'video.asset.ready' },
      data: { id: 'a1', duration: 2.5, playback_ids: [{ id: 'pb1', policy: 'public' }] },
    } as GenericHooklineEvent;
    expect(isHooklineEvent(event)).toBe(true);
    if (!isHooklineEvent(event)) return;
    const narrowed: HooklineEvent = event;
    if (narrowed.type === 'video.asset.ready' && narrowed.provider === 'mux') {
      const seconds: number | undefined = narrowed.data.duration;
      expect(seconds).toBe(2.5);
      expect(narrowed.data.playback_ids?.[0]?.id).toBe('pb1');
    }
    expect(isHooklineEvent({ ...event, provider: 'hmac' })).toBe(false);
    expect(isHooklineEvent({ ...event, provider: 'fastpix', type: 'video.asset.master.ready' })).toBe(false);
    expect(isHooklineEvent({ ...event, type: 'orders/create' })).toBe(false);
  });
});

describe('schema to TypeScript', () => {
  it.each([
    [{ type: 'string' }, 'string'],
    [{ type: ['string', 'null'] }, 'string | null'],
    [{ anyOf: [{ enum: ['a', 'b'] }, { type: 'string' }] }, "'a' | 'b' | (string & {})"],
    [{ anyOf: [{ type: 'number' }, { type: 'string' }] }, 'number | string'],
    [{ type: 'array', items: { anyOf: [{ type: 'number' }, { type: 'string' }] } }, '(number | string)[]'],
    [{ $ref: '#/$defs/MuxAsset' }, 'MuxAsset'],
    [{ const: "it's" }, "'it\\'s'"],
    [{ description: 'anything' }, 'unknown'],
    [{ type: 'object', additionalProperties: { type: 'number' } }, '{\n  [key: string]: number;\n}'],
    [
      { type: 'object', required: ['a'], properties: { a: { type: 'integer' }, 'b-c': { type: 'boolean' } }, additionalProperties: false },
      "{\n  a: number;\n  'b-c'?: boolean;\n}",
    ],
  ] as const)('%j → %s', (schema, expected) => {
    expect(typeOf(schema as never)).toBe(expected);
  });

  it.each([
    ['video.asset.ready', 'VideoAssetReadyEvent'],
    ['video.live_stream.simulcast_target.created', 'VideoLiveStreamSimulcastTargetCreatedEvent'],
    ['orders/create', 'OrdersCreateEvent'],
  ])('names %s %s', (type, name) => {
    expect(eventTypeName(type)).toBe(name);
  });
});
