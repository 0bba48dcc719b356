import { newId } from '@hookline/core';
import type { IngestWrite } from '@hookline/db';

/**
 * For tests that call storeIngestBatch: an accepted request with its event (a fresh
 * `video.asset.ready` from Mux), delivered to `destinations`. `delayMs` gives each delivery
 * an ordering window (and an object), `configVersion` the source version it was routed with.
 */
export function acceptedWrite({
  tenantId,
  sourceId,
  destinations,
  delayMs,
  configVersion,
}: {
  tenantId: string;
  sourceId: string;
  destinations: readonly string[];
  delayMs?: number;
  configVersion?: string;
}): IngestWrite {
  const now = new Date();
  const requestId = newId('request');
  const eventId = newId('event');
  return {
    ...(configVersion === undefined ? {} : { configVersion }),
    request: {
      id: requestId,
      tenant_id: tenantId,
      source_id: sourceId,
      ingest_key_hint: null,
      received_at: now,
      method: 'POST',
      headers: JSON.stringify({ 'content-type': 'application/json' }),
      body: Buffer.from('{}'),
      body_bytes: 2,
      remote_ip: '127.0.0.1',
      outcome: 'accepted',
      reason: null,
      detail: null,
      status_code: 200,
      event_id: eventId,
    },
    event: {
      id: eventId,
      tenant_id: tenantId,
      source_id: sourceId,
      request_id: requestId,
      type: 'video.asset.ready',
      provider: 'mux',
      provider_event_id: crypto.randomUUID(),
      provider_event_type: 'video.asset.ready',
      occurred_at: now,
      received_at: now,
      payload: `{"id":"${eventId}"}`,
    },
    deliveries: destinations.map((d) => ({
      id: newId('delivery'),
      destination_id: d,
      ...(delayMs === undefined ? {} : { object_key: 'video.asset:a1', delay_ms: delayMs }),
    })),
  };
}
