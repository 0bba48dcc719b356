import { arrayOf, bool, either, int, type JsonSchema, known, num, obj, ref, str } from './json-schema.ts';

/**
 * The documented fields of each provider's `data`, per kind of object. Only what the
 * providers document (Mux's webhook and API references, FastPix's webhook pages) is typed;
 * every shape stays open, because `data` is forwarded unchanged and providers add fields.
 */

const unixOrIso = (description: string) => either(num(), str(), description);

const warning = either(
  str(),
  obj({ type: str('Kind of warning, such as `custom_slate_unavailable`.'), message: str() }),
  'What went wrong, on `*.warning` events.',
);

const muxPlaybackId = obj(
  {
    id: str('Playback id, used in stream.mux.com and image.mux.com URLs.'),
    policy: known(['public', 'signed', 'drm']),
    drm_configuration_id: str(),
  },
  'A playback id of an asset or live stream.',
);

const muxTrack = obj(
  {
    id: str(),
    type: known(['video', 'audio', 'text']),
    status: known(['preparing', 'ready', 'errored', 'deleted']),
    asset_id: str('The asset the track belongs to (track events).'),
    duration: num('Seconds.'),
    max_width: int(),
    max_height: int(),
    max_frame_rate: num('Frames per second; -1 when it could not be determined.'),
    max_channels: int(),
    max_channel_layout: str(),
    text_type: known(['subtitles']),
    text_source: known(['uploaded', 'embedded', 'generated_live', 'generated_live_final', 'generated_vod']),
    language_code: str('BCP 47 language code.'),
    name: str(),
    closed_captions: bool(),
    primary: bool(),
    passthrough: str(),
    error: obj({ type: str(), messages: arrayOf(str()) }),
  },
  'A video, audio or text track of a Mux asset.',
);

const muxStaticRendition = obj(
  {
    id: str(),
    asset_id: str('The asset the rendition belongs to (static_rendition events).'),
    name: str('File name, such as `highest.mp4`, `1080p.mp4` or `audio.m4a`.'),
    ext: known(['mp4', 'm4a']),
    type: known(['standard', 'advanced']),
    status: known(['preparing', 'ready', 'skipped', 'errored']),
    resolution: str(),
    resolution_tier: known(['audio-only', '720p', '1080p', '1440p', '2160p']),
    width: int(),
    height: int(),
    bitrate: int('Bits per second.'),
    filesize: either(str(), int(), 'Bytes (Mux documents a string; older payloads send a number).'),
    passthrough: str(),
  },
  'One static rendition (MP4 or M4A file) of a Mux asset.',
);

const muxAsset = obj(
  {
    id: str(),
    status: known(['preparing', 'ready', 'errored']),
    created_at: unixOrIso('Unix seconds in webhooks.'),
    duration: num('Seconds.'),
    aspect_ratio: str('Such as `16:9`.'),
    playback_ids: arrayOf(ref('MuxPlaybackId')),
    tracks: arrayOf(ref('MuxTrack')),
    upload_id: str('The direct upload the asset came from.'),
    live_stream_id: str('The live stream the asset was recorded from.'),
    is_live: bool(),
    passthrough: str(),
    test: bool(),
    errors: obj({ type: str(), messages: arrayOf(str()) }, 'Why the asset errored.'),
    mp4_support: str(),
    master_access: known(['none', 'temporary']),
    master: obj({ status: known(['preparing', 'ready', 'errored']), url: str() }),
    static_renditions: obj({
      status: known(['preparing', 'ready', 'disabled', 'errored']),
      files: arrayOf(ref('MuxStaticRendition')),
    }),
    max_stored_resolution: str(),
    max_stored_frame_rate: num(),
    max_resolution_tier: known(['1080p', '1440p', '2160p']),
    resolution_tier: known(['audio-only', '720p', '1080p', '1440p', '2160p']),
    video_quality: known(['basic', 'plus', 'premium']),
    encoding_tier: known(['smart', 'baseline', 'premium']),
    ingest_type: known(['on_demand_url', 'on_demand_direct_upload', 'on_demand_clip', 'live_rtmp', 'live_srt']),
    non_standard_input_reasons: { type: 'object', additionalProperties: str(), description: 'Which input properties are non-standard.' },
    meta: obj({ title: str(), creator_id: str(), external_id: str() }),
    source_asset_id: str(),
    normalize_audio: bool(),
    warning,
  },
  'A Mux asset (video.asset.* events).',
);

const muxUpload = obj(
  {
    id: str(),
    status: known(['waiting', 'asset_created', 'errored', 'cancelled', 'timed_out']),
    url: str('Where the file is PUT.'),
    asset_id: str('The asset created from the upload.'),
    timeout: int('Seconds the upload URL stays valid.'),
    cors_origin: str(),
    new_asset_settings: { type: 'object', description: 'Settings of the asset the upload will create.' },
    error: obj({ type: str(), message: str() }),
    test: bool(),
  },
  'A Mux direct upload (video.upload.* events).',
);

const muxSimulcastTarget = obj(
  {
    id: str(),
    status: known(['idle', 'starting', 'broadcasting', 'errored']),
    url: str('RTMP(S) URL of the third-party service.'),
    stream_key: str(),
    passthrough: str(),
    live_stream_id: str(),
    error_severity: known(['normal', 'fatal']),
  },
  'A Mux simulcast target (video.live_stream.simulcast_target.* events).',
);

const muxLiveStream = obj(
  {
    id: str(),
    status: known(['idle', 'active', 'disabled'], 'Lags the event: state comes from the event type.'),
    created_at: unixOrIso('Unix seconds in webhooks.'),
    stream_key: str(),
    active_asset_id: str(),
    recent_asset_ids: arrayOf(str()),
    playback_ids: arrayOf(ref('MuxPlaybackId')),
    connected: bool(),
    recording: bool(),
    latency_mode: known(['low', 'reduced', 'standard']),
    reduced_latency: bool(),
    low_latency: bool(),
    reconnect_window: num('Seconds.'),
    reconnect_slate_url: str(),
    max_continuous_duration: int('Seconds.'),
    new_asset_settings: { type: 'object' },
    simulcast_targets: arrayOf(ref('MuxSimulcastTarget')),
    passthrough: str(),
    audio_only: bool(),
    test: bool(),
    warning,
  },
  'A Mux live stream (video.live_stream.* events).',
);

const muxDeliveryReport = obj(
  {
    id: str(),
    threshold: num('Delivered seconds that trigger the alert.'),
    timeframe: arrayOf(int(), 'Start and end of the window, unix seconds.'),
    data: arrayOf(
      obj({
        asset_id: str(),
        asset_duration: num(),
        asset_state: known(['ready', 'errored', 'deleted']),
        asset_resolution_tier: str(),
        asset_encoding_tier: str(),
        asset_video_quality: str(),
        created_at: int(),
        deleted_at: int(),
        live_stream_id: str(),
        passthrough: str(),
        delivered_seconds: num(),
        delivered_seconds_by_resolution: { type: 'object', additionalProperties: num() },
      }),
    ),
  },
  "Mux's delivery usage report (video.delivery.high_traffic).",
);

const fastpixPlaybackId = obj(
  {
    id: str(),
    accessPolicy: known(['public', 'private', 'drm']),
    accessRestrictions: { type: 'object' },
  },
  'A FastPix playback id.',
);

const fastpixTrack = obj({
  id: str(),
  type: known(['video', 'audio', 'subtitle']),
  status: str(),
  width: int(),
  height: int(),
  frameRate: str(),
  languageName: str(),
  languageCode: str(),
});

const fastpixMedia = obj(
  {
    id: str(),
    status: known(['Created', 'Ready', 'Failed']),
    workspaceId: str(),
    thumbnail: str(),
    title: str(),
    metadata: { type: 'object', description: 'Key-value pairs set by the user.' },
    mediaQuality: str(),
    maxResolution: str(),
    sourceResolution: str(),
    sourceAccess: bool(),
    playbackIds: arrayOf(ref('FastPixPlaybackId')),
    tracks: arrayOf(ref('FastPixTrack')),
    isAudioOnly: bool(),
    subtitleAvailable: bool(),
    duration: str('`HH:MM:SS`.'),
    aspectRatio: str(),
    uploadId: str('The direct upload the media came from (video.upload.media_created).'),
    liveStreamId: str('The live stream the media was recorded from.'),
    createdAt: str(),
    updatedAt: str(),
  },
  'A FastPix media (video.media.* events).',
);

const fastpixUpload = obj(
  {
    uploadId: str(),
    status: known(['waiting']),
    url: str('Where the file is uploaded.'),
    timeout: int('Seconds the upload URL stays valid.'),
    corsOrigin: str(),
    trial: bool(),
    pushMediaSettings: { type: 'object', description: 'Settings of the media the upload will create.' },
  },
  'A FastPix direct upload (video.media.upload).',
);

const fastpixLiveStream = obj(
  {
    streamId: str(),
    status: known(['idle', 'preparing', 'active', 'disabled']),
    streamKey: str(),
    srtSecret: str(),
    trial: bool(),
    maxResolution: str(),
    maxDuration: int('Seconds.'),
    reconnectWindow: int('Seconds.'),
    enableRecording: bool(),
    enableDvrMode: bool(),
    mediaPolicy: str(),
    metadata: { type: 'object', description: 'Key-value pairs set by the user.' },
    lowLatency: bool(),
    closedCaptions: bool(),
    playbackIds: arrayOf(ref('FastPixPlaybackId')),
    createdAt: str(),
  },
  'A FastPix live stream (video.live_stream.* events).',
);

const fastpixSimulcastTarget = obj(
  {
    simulcastId: str(),
    streamId: str('The parent live stream.'),
    url: str(),
    streamKey: str(),
    isEnabled: bool(),
    metadata: { type: 'object', description: 'Key-value pairs set by the user.' },
    createdAt: str(),
  },
  'A FastPix simulcast (video.live_stream.simulcast_target.* events).',
);

export const DATA_SHAPES: Record<string, JsonSchema> = {
  MuxPlaybackId: muxPlaybackId,
  MuxTrack: muxTrack,
  MuxStaticRendition: muxStaticRendition,
  MuxAsset: muxAsset,
  MuxUpload: muxUpload,
  MuxLiveStream: muxLiveStream,
  MuxSimulcastTarget: muxSimulcastTarget,
  MuxDeliveryReport: muxDeliveryReport,
  FastPixPlaybackId: fastpixPlaybackId,
  FastPixTrack: fastpixTrack,
  FastPixMedia: fastpixMedia,
  FastPixUpload: fastpixUpload,
  FastPixLiveStream: fastpixLiveStream,
  FastPixSimulcastTarget: fastpixSimulcastTarget,
};
