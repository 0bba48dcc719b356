import type { Destination, Source } from '@hookline/db';
import { controlsView } from './delivery-controls.ts';

/** When the previous secret of a rotation stops being valid, or null outside a rotation. */
function activeRotation(previous: string | null, expiresAt: Date | null): string | null {
  return previous && expiresAt && expiresAt.getTime() > Date.now() ? expiresAt.toISOString() : null;
}

/** `ingestUrl`: the caller opens the sealed ingest key (routes/sources.ts), this module holds no secrets. */
export function sourceView(source: Source, ingestUrl: string) {
  return {
    id: source.id,
    name: source.name,
    provider: source.provider,
    ingest_url: ingestUrl,
    awaiting_secret: source.secret_sealed === null,
    verification_options: source.settings,
    secret_rotation_expires_at: activeRotation(source.previous_secret_sealed, source.previous_secret_expires_at),
    alert_silent_after_seconds: source.alert_silent_after_seconds,
    created_at: source.created_at.toISOString(),
    updated_at: source.updated_at.toISOString(),
  };
}

export function destinationView(destination: Destination) {
  return {
    id: destination.id,
    source_id: destination.source_id,
    url: destination.url,
    event_types: destination.event_types ?? null,
    paused: destination.status === 'paused',
    filter: destination.filter ?? null,
    transform: destination.transform ?? null,
    ...controlsView(destination),
    secret_rotation_expires_at: activeRotation(destination.previous_secret_sealed, destination.previous_secret_expires_at),
    created_at: destination.created_at.toISOString(),
    updated_at: destination.updated_at.toISOString(),
  };
}
