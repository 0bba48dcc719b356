/**
 * The canonical video event types (CONTRACT §3): Mux's event names are the vocabulary, and
 * other video providers map onto them. A type FastPix emits with no Mux twin joins under its
 * own name. This list is the source of schema/event-types.json and of the SDK's event union.
 */

/** What `data` holds for a type, so the schema and the SDK can type it per provider. */
export type VideoDataKind = 'asset' | 'upload' | 'live_stream' | 'simulcast_target' | 'track' | 'static_rendition' | 'delivery_report';

export interface VideoEventType {
  type: string;
  description: string;
  /** Canonical object type (`object.type` of the normalized event). */
  objectType: string;
  data: VideoDataKind;
}

const asset = (type: string, description: string): VideoEventType => ({ type, description, objectType: 'asset', data: 'asset' });
const upload = (type: string, description: string): VideoEventType => ({ type, description, objectType: 'upload', data: 'upload' });
const live = (type: string, description: string): VideoEventType => ({ type, description, objectType: 'live_stream', data: 'live_stream' });
const simulcast = (type: string, description: string): VideoEventType => ({
  type,
  description,
  objectType: 'simulcast_target',
  data: 'simulcast_target',
});
const track = (type: string, description: string): VideoEventType => ({ type, description, objectType: 'track', data: 'track' });
const rendition = (type: string, description: string): VideoEventType => ({
  type,
  description,
  objectType: 'static_rendition',
  data: 'static_rendition',
});

export const VIDEO_EVENT_TYPES: readonly VideoEventType[] = [
  asset('video.asset.created', 'Asset has been created.'),
  asset('video.asset.ready', 'Asset is ready for playback: its playback ids can now be used to stream it.'),
  asset(
    'video.asset.errored',
    'Asset has encountered an error, most commonly an input URL the provider could not download or a file that is not a valid video.',
  ),
  asset('video.asset.updated', 'Asset has been updated.'),
  asset('video.asset.deleted', 'Asset has been deleted; it is no longer playable.'),
  asset(
    'video.asset.live_stream_completed',
    'The live stream for this asset has completed. Every time a live stream starts and ends a new asset is created and this event fires.',
  ),
  asset(
    'video.asset.static_renditions.ready',
    'Static renditions (streamable MP4 files, most often offered for download) for this asset are ready.',
  ),
  asset('video.asset.static_renditions.preparing', 'Static renditions for this asset are being prepared.'),
  asset('video.asset.static_renditions.deleted', 'Static renditions for this asset have been deleted and are no longer available.'),
  asset('video.asset.static_renditions.errored', 'Preparing static renditions for this asset has encountered an error.'),
  asset(
    'video.asset.master.ready',
    'Master access for this asset is ready: the master file can be downloaded for editing or post-production (not for end users).',
  ),
  asset('video.asset.master.preparing', 'Master access for this asset is being prepared.'),
  asset('video.asset.master.deleted', 'Master access for this asset has been removed; re-request it to download the master again.'),
  asset('video.asset.master.errored', 'Creating master access for this asset has encountered an error.'),
  track('video.asset.track.created', 'A new track for this asset has been created, for example a subtitle text track.'),
  track('video.asset.track.ready', 'A track for this asset is ready; a text track is now delivered with the HLS stream.'),
  track(
    'video.asset.track.errored',
    'A track for this asset has encountered an error, most commonly a text track file that could not be downloaded.',
  ),
  track('video.asset.track.deleted', 'A track for this asset has been deleted.'),
  rendition('video.asset.static_rendition.created', 'A static rendition (one MP4 or M4A file) has been requested for this asset.'),
  rendition('video.asset.static_rendition.ready', 'A static rendition of this asset is ready for download.'),
  rendition('video.asset.static_rendition.errored', 'A static rendition of this asset could not be generated.'),
  rendition('video.asset.static_rendition.deleted', 'A static rendition of this asset has been deleted.'),
  rendition(
    'video.asset.static_rendition.skipped',
    "A static rendition will not be generated because the requested resolution conflicts with the asset's attributes.",
  ),
  asset(
    'video.asset.warning',
    'A non-fatal issue with the asset recorded from a live stream, such as a reconnect slate image that could not be downloaded.',
  ),
  asset(
    'video.asset.non_standard_input_detected',
    'The input file has non-standard properties (codec, frame rate, GOP size…) that may slow down or limit processing.',
  ),
  upload('video.upload.asset_created', 'An asset has been created from this direct upload: the end user has finished uploading the file.'),
  upload('video.upload.cancelled', 'The direct upload has been cancelled.'),
  upload('video.upload.created', 'A direct upload has been created.'),
  upload(
    'video.upload.errored',
    'The direct upload has encountered an error, most commonly because the end user uploaded a file that is not a video.',
  ),
  live('video.live_stream.created', 'A new live stream has been created; broadcasters with its stream key can start sending.'),
  live(
    'video.live_stream.preparing',
    'The live stream is being initialized: inputs are validated and resources allocated before it goes live. (FastPix only; no Mux twin.)',
  ),
  live('video.live_stream.connected', 'An encoder has successfully connected to this live stream.'),
  live('video.live_stream.recording', 'Recording on this live stream has started: the first frames from the encoder have been processed.'),
  live('video.live_stream.active', 'The live stream is active: its playback ids can now be used to stream it.'),
  live(
    'video.live_stream.disconnected',
    'An encoder has disconnected from this live stream; it stays active until the reconnect window elapses.',
  ),
  live('video.live_stream.idle', "The live stream's reconnect window has elapsed and it is idle again."),
  live('video.live_stream.updated', 'The live stream has been updated, for example after its stream key was reset.'),
  live('video.live_stream.enabled', 'The live stream has been enabled.'),
  live('video.live_stream.disabled', 'The live stream has been disabled and no longer accepts new connections.'),
  live('video.live_stream.deleted', 'The live stream has been deleted.'),
  live(
    'video.live_stream.warning',
    'A non-fatal issue with the live stream, such as a reconnect slate image that could not be downloaded; ingest and playback continue.',
  ),
  simulcast('video.live_stream.simulcast_target.created', 'A new simulcast target has been created for this live stream.'),
  simulcast('video.live_stream.simulcast_target.idle', 'The simulcast target is idle (the parent live stream is disconnected).'),
  simulcast('video.live_stream.simulcast_target.starting', 'The simulcast target is starting (the parent live stream has connected).'),
  simulcast(
    'video.live_stream.simulcast_target.broadcasting',
    'The simulcast target is connected to the third-party service and content is being pushed to it.',
  ),
  simulcast(
    'video.live_stream.simulcast_target.errored',
    'Connecting or broadcasting to the simulcast target has failed; it will be retried and return to broadcasting on success.',
  ),
  simulcast('video.live_stream.simulcast_target.updated', 'The simulcast target has been updated.'),
  simulcast('video.live_stream.simulcast_target.deleted', 'The simulcast target has been deleted.'),
  {
    type: 'video.delivery.high_traffic',
    description: 'Delivery usage in the environment is over the alerting threshold; the report lists the assets driving it.',
    objectType: 'delivery',
    data: 'delivery_report',
  },
];

const BY_TYPE = new Map(VIDEO_EVENT_TYPES.map((e) => [e.type, e]));

export function videoEventType(type: string): VideoEventType | undefined {
  return BY_TYPE.get(type);
}

/** Types FastPix emits that Mux does not; every other canonical video type is a Mux event name. */
export const FASTPIX_ONLY_TYPES: ReadonlySet<string> = new Set(['video.live_stream.preparing']);
