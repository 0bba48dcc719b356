// Sample provider webhooks for `hookline trigger`: small, realistic bodies taken from the
// providers' documented payloads (packages/providers/fixtures), signed as the provider signs
// them, each sent with a fresh id and the current time.
import { Buffer } from 'node:buffer';
import { createHmac, randomUUID } from 'node:crypto';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Sample = { [key: string]: Json };

export const TRIGGER_PROVIDERS = ['mux', 'fastpix'] as const;
export type TriggerProvider = (typeof TRIGGER_PROVIDERS)[number];

const MUX_ASSET_ID = 'z3K6DX4yhJJ2CAe7ZcXCuWpNd501wa9axPmtROO5I5tc';
const MUX_UPLOAD_ID = 'gjjg48rGLX4hBM9NVLzfTs13r8nr02CkYWE02Byd8jgV00';
const MUX_LIVE_ID = 'g00vIr21CVV3P3tV8012vVGAztjDpv201XTTLGc8fwAQzk';
const MUX_ENV = { name: 'Development', id: 'dvlv0o' };
const MUX_PLAYBACK = [{ policy: 'public', id: 'pZRRUL8HyLpvw8Cc01SZyKKgAzwT01lF02FUK5CFmw013HQ' }];
const MUX_TRACKS: Json[] = [
  { type: 'video', max_width: 1920, max_height: 1080, max_frame_rate: -1, id: 'p3AUxxHVj600DwUD01p02XXMFI0118lGbNjDeJbYFe7Xyh00' },
  { type: 'audio', max_channels: 1, max_channel_layout: 'mono', id: 'FAHPuZvRaWZ7hSX4jjvTM002bAUw2cM1JKEcL002ZOzPU' },
];

const muxAsset = (status: string, extra: Sample = {}): Sample => ({
  upload_id: MUX_UPLOAD_ID,
  test: true,
  status,
  playback_ids: MUX_PLAYBACK,
  mp4_support: 'none',
  master_access: 'none',
  id: MUX_ASSET_ID,
  created_at: 1656362193,
  ...extra,
});

const muxLive = (status: string, extra: Sample = {}): Sample => ({
  stream_key: '18608c89-d449-ca3d-89f3-4db5ca4c5214',
  status,
  reduced_latency: true,
  recording: status === 'active',
  recent_asset_ids: ['PIQmpxrxk00Y7KtaAkHuMkI91s43p7YZ5EuzLqJcdxPQ'],
  playback_ids: [{ policy: 'public', id: 'gnpT00lBULFoSVZ7almAtgEr5KWDkoMVm7Wmud01yZd02Q' }],
  new_asset_settings: { playback_policies: ['public'] },
  id: MUX_LIVE_ID,
  created_at: 1595620677,
  ...extra,
});

const READY_EXTRA: Sample = {
  tracks: MUX_TRACKS,
  max_stored_resolution: 'HD',
  max_stored_frame_rate: -1,
  duration: 2.976,
  aspect_ratio: '16:9',
};

/** Mux: `data` per type, and the object the event is about. */
const MUX: Record<string, { object: Sample; data: Sample }> = {
  'video.asset.created': { object: { type: 'asset', id: MUX_ASSET_ID }, data: muxAsset('preparing') },
  'video.asset.ready': { object: { type: 'asset', id: MUX_ASSET_ID }, data: muxAsset('ready', READY_EXTRA) },
  'video.asset.errored': {
    object: { type: 'asset', id: MUX_ASSET_ID },
    data: muxAsset('errored', { errors: { type: 'invalid_input', messages: ['The input file could not be decoded.'] } }),
  },
  'video.asset.deleted': { object: { type: 'asset', id: MUX_ASSET_ID }, data: muxAsset('ready', READY_EXTRA) },
  'video.upload.asset_created': {
    object: { type: 'upload', id: MUX_UPLOAD_ID },
    data: {
      timeout: 3600,
      test: true,
      status: 'asset_created',
      new_asset_settings: { playback_policies: ['public'] },
      id: MUX_UPLOAD_ID,
      cors_origin: 'https://example.com',
      asset_id: MUX_ASSET_ID,
    },
  },
  'video.live_stream.active': {
    object: { type: 'live', id: MUX_LIVE_ID },
    data: muxLive('active', { connected: true, active_asset_id: 'OGDoCxGloyo1pDSHvuh6OGq4w7qYA19900K9cldCgrXM' }),
  },
  'video.live_stream.idle': { object: { type: 'live', id: MUX_LIVE_ID }, data: muxLive('idle') },
};

const FASTPIX_MEDIA_ID = '3fa85f64-5717-4562-b3fc-2c963f66afa6';
const FASTPIX_WORKSPACE = { id: '5ta85f64-5717-4562-b3fc-2c963f66afa6', name: 'Development' };
const FASTPIX_LIVE_ID = '61a264dcc447b63da6fb79ef925cd76d';

const fastpixMedia = (status: string, extra: Sample = {}): Sample => ({
  thumbnail: 'https://images.fastpix.io/6ta85f64-5717-4562-b3fc-2c963f66afa6/thumbnail.png',
  id: FASTPIX_MEDIA_ID,
  workspaceId: FASTPIX_WORKSPACE.id,
  metadata: { key1: 'value1' },
  mediaQuality: 'standard',
  maxResolution: '1080p',
  status,
  sourceAccess: false,
  playbackIds: [{ id: '6ta85f64-5717-4562-b3fc-2c963f66afa6', accessPolicy: 'public' }],
  tracks: [],
  isAudioOnly: false,
  subtitleAvailable: false,
  createdAt: '2026-06-22T12:38:27.112Z',
  updatedAt: '2026-06-22T12:38:29.375Z',
  ...extra,
});

const fastpixLive = (status: string): Sample => ({
  streamId: FASTPIX_LIVE_ID,
  streamKey: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  trial: false,
  status,
  maxResolution: '1080p',
  maxDuration: 28800,
  enableRecording: true,
  enableDvrMode: false,
  mediaPolicy: 'public',
  metadata: { livestream_name: 'fastpix_livestream' },
  lowLatency: false,
  closedCaptions: false,
  playbackIds: [{ id: '68b7ac0f-2504-4dd5-b7b4-d84ab4fee1bd', accessPolicy: 'public' }],
  createdAt: '2026-06-22T10:00:00.000Z',
});

interface FastpixSample {
  type: string;
  status: string;
  object: Sample | null;
  data: Sample;
}

/** A FastPix media event: `video.media.<event>`, status `media_<event>`, about the sample media. */
const fastpixMediaEvent = (event: string, data: Sample): FastpixSample => ({
  type: `video.media.${event}`,
  status: `media_${event}`,
  object: { type: 'media', id: FASTPIX_MEDIA_ID },
  data,
});

/** A FastPix live stream event: `video.live_stream.<state>`, status `live_stream_<state>`, about the sample stream. */
const fastpixLiveEvent = (state: string): FastpixSample => ({
  type: `video.live_stream.${state}`,
  status: `live_stream_${state}`,
  object: { type: 'live', id: FASTPIX_LIVE_ID },
  data: fastpixLive(state),
});

/** FastPix: its own type name, the top-level `status`, and `data`, keyed by the canonical (Mux) type. */
const FASTPIX: Record<string, FastpixSample> = {
  'video.asset.created': fastpixMediaEvent('created', fastpixMedia('Created')),
  'video.asset.ready': fastpixMediaEvent(
    'ready',
    fastpixMedia('Ready', {
      tracks: [
        { id: '9oa85f64-5717-4562-b3fc-2c963f66afa6', type: 'video', width: 1920, height: 1080, frameRate: '30/1', status: 'available' },
        { id: '8ob85f64-5717-4562-b3fc-2c963f66afa6', type: 'audio', languageName: 'English', languageCode: 'en', status: 'available' },
      ],
      sourceResolution: '1080p',
      duration: '00:00:10',
      aspectRatio: '16:9',
    }),
  ),
  'video.asset.errored': fastpixMediaEvent('failed', fastpixMedia('Failed')),
  'video.asset.deleted': fastpixMediaEvent('deleted', fastpixMedia('Ready', { duration: '00:00:10', aspectRatio: '16:9' })),
  'video.upload.asset_created': {
    type: 'video.upload.media_created',
    status: 'upload_media_created',
    object: null,
    data: { uploadId: 'c9a1f0e2-7b3d-4e58-9a6c-2d4f8b1e3a70', ...fastpixMedia('Created') },
  },
  'video.live_stream.active': fastpixLiveEvent('active'),
  'video.live_stream.idle': fastpixLiveEvent('idle'),
};

export function isTriggerProvider(provider: string): provider is TriggerProvider {
  return (TRIGGER_PROVIDERS as readonly string[]).includes(provider);
}

/** The types `trigger` has samples for, as Hookline names them (Mux's names); FastPix's own names work too. */
export function sampleTypes(provider: TriggerProvider): string[] {
  return Object.keys(provider === 'mux' ? MUX : FASTPIX);
}

export interface SampleWebhook {
  /** The type in the provider's own vocabulary (`video.media.ready` for FastPix). */
  providerType: string;
  /** The type Hookline will give the event. */
  type: string;
  /** The provider's event id: fresh each time, so the relay never takes it for a duplicate. */
  id: string;
  body: string;
}

/** A sample body for `type` (Hookline's name or the provider's), or undefined when there is none. */
export function sampleWebhook(provider: TriggerProvider, type: string, now = new Date()): SampleWebhook | undefined {
  const id = randomUUID();
  if (provider === 'mux') {
    const sample = MUX[type];
    if (!sample) return undefined;
    const body = {
      type,
      request_id: null,
      object: sample.object,
      id,
      environment: MUX_ENV,
      data: sample.data,
      // Mux writes microseconds.
      created_at: now.toISOString().replace(/Z$/, '000Z'),
      attempts: [],
      accessor_source: null,
      accessor: null,
    };
    return { providerType: type, type, id, body: JSON.stringify(body) };
  }
  const canonical = FASTPIX[type] ? type : Object.keys(FASTPIX).find((key) => FASTPIX[key]!.type === type);
  const sample = canonical ? FASTPIX[canonical] : undefined;
  if (!canonical || !sample) return undefined;
  const at = now.toISOString();
  const body: Sample =
    sample.object === null
      ? { type: sample.type, id, environment: FASTPIX_WORKSPACE, status: sample.status, data: sample.data, occurredAt: at, attempts: [] }
      : {
          type: sample.type,
          object: sample.object,
          id,
          workspace: FASTPIX_WORKSPACE,
          status: sample.status,
          data: sample.data,
          createdAt: at,
          attempts: [],
        };
  return { providerType: sample.type, type: canonical, id, body: JSON.stringify(body) };
}

/** The headers the provider signs a webhook with. */
export function providerSignature(provider: TriggerProvider, body: string, secret: string, now = new Date()): Record<string, string> {
  if (provider === 'mux') {
    // mux-signature: t=<unix>,v1=<hex HMAC-SHA256 over "<t>.<body>", keyed with the secret's UTF-8 bytes>
    const t = Math.floor(now.getTime() / 1000);
    const v1 = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${t}.${body}`).digest('hex');
    return { 'mux-signature': `t=${t},v1=${v1}` };
  }
  // fastpix-signature: base64 HMAC-SHA256 over the raw body, keyed with the base64-decoded secret.
  return { 'fastpix-signature': createHmac('sha256', Buffer.from(secret, 'base64')).update(body).digest('base64') };
}
