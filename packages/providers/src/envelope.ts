import type { ProviderEvent } from './types.ts';

export interface EnvelopeContext {
  id: string;
  provider: string;
  sourceId: string;
  receivedAt: Date;
}

/**
 * The normalized event as JSON text (CONTRACT §3). Built by hand so that `data` is the
 * provider's own bytes, spliced in unchanged; every other field is serialized normally.
 */
export function renderEnvelope(event: ProviderEvent, ctx: EnvelopeContext): string {
  const head = JSON.stringify({
    id: ctx.id,
    type: event.type,
    provider: ctx.provider,
    source_id: ctx.sourceId,
    occurred_at: event.occurredAt,
    received_at: ctx.receivedAt.toISOString(),
    object: event.object,
    environment: event.environment,
    provider_event: { id: event.providerEventId, type: event.providerEventType },
  });
  return `${head.slice(0, -1)},"data":${event.dataJson}}`;
}
