import type { Destination, Source } from '@hookline/db';

export function sourceView(source: Source, publicUrl: string) {
  return {
    id: source.id,
    name: source.name,
    provider: source.provider,
    ingest_url: `${publicUrl}/in/${source.ingest_key}`,
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
    paused: destination.paused_at !== null,
    created_at: destination.created_at.toISOString(),
    updated_at: destination.updated_at.toISOString(),
  };
}
