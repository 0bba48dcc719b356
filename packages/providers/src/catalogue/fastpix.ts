import type { EventTypeInfo } from '../types.ts';

const media = (type: string, canonical: string, description: string): EventTypeInfo => ({
  type,
  canonical,
  description,
  objectType: 'asset',
});
const live = (type: string, description: string): EventTypeInfo => ({ type, canonical: type, description, objectType: 'live_stream' });
const simulcast = (type: string, description: string): EventTypeInfo => ({
  type,
  canonical: type,
  description,
  objectType: 'simulcast_target',
});

/**
 * FastPix's documented webhook events and their canonical names (CONTRACT §3: media → asset;
 * live stream events already use Mux's names; `video.live_stream.preparing` has no Mux twin).
 */
export const FASTPIX_EVENTS: readonly EventTypeInfo[] = [
  media('video.media.created', 'video.asset.created', 'A new media has been created from a URL (pull).'),
  {
    type: 'video.media.upload',
    canonical: 'video.upload.created',
    description: 'A direct upload has been initiated: an upload URL was requested (push).',
    objectType: 'upload',
  },
  {
    type: 'video.upload.media_created',
    canonical: 'video.upload.asset_created',
    description: 'A media has been created from a direct upload: the end user finished uploading the file.',
    objectType: 'upload',
  },
  media('video.media.ready', 'video.asset.ready', 'The media is ready for playback (push and pull).'),
  media('video.media.failed', 'video.asset.errored', 'The media encountered an error during processing, such as an invalid input URL.'),
  media('video.media.deleted', 'video.asset.deleted', 'The media has been deleted.'),
  media('video.media.updated', 'video.asset.updated', 'The media has been updated.'),
  media('video.media.track.ready', 'video.asset.track.ready', 'A track of the media (for example a subtitle track) is ready.'),
  media(
    'video.media.live_stream.created',
    'video.asset.live_stream_completed',
    'A live stream has been recorded into an on-demand media, with a manifest and a playback id.',
  ),
  live('video.live_stream.created', 'A new live stream has been created; broadcasters with its stream key can start sending.'),
  live('video.live_stream.preparing', 'The live stream is being initialized: inputs are validated and resources allocated.'),
  live('video.live_stream.connected', 'An encoder has connected to the live stream.'),
  live('video.live_stream.recording', "The live stream's recording is in progress."),
  live('video.live_stream.active', 'The live stream is active: it is live and broadcasting.'),
  live('video.live_stream.disconnected', 'The stream was stopped and the encoder disconnected.'),
  live('video.live_stream.idle', 'The live stream is idle: no streaming activity.'),
  live('video.live_stream.updated', 'The live stream has been updated, or its stream key reset.'),
  live('video.live_stream.deleted', 'The live stream has been deleted.'),
  simulcast('video.live_stream.simulcast_target.created', 'A new simulcast has been created for a live stream.'),
  simulcast('video.live_stream.simulcast_target.deleted', 'A simulcast of a live stream has been deleted.'),
  simulcast('video.live_stream.simulcast_target.updated', 'A simulcast of a live stream has been updated.'),
];
