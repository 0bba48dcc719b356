import { matchesEventTypes, newId } from '@hookline/core';
import type { Db } from '../database.ts';
import type { NewEvent, NewRequest } from '../tables.ts';
import { listDestinationsForSources } from './destinations.ts';

/** One request as ingest stores it: always the request row, and the event if it carried one. */
export interface IngestWrite {
  request: NewRequest;
  event?: NewEvent;
}

export interface IngestWriteResult {
  /** The stored event's id: the new one, or the first copy's on a duplicate. */
  eventId: string | null;
  duplicate: boolean;
  deliveries: { id: string; runAt: Date }[];
  /** With `readUsage`: the bytes the write's tenant stores (as of this batch's events; its request rows follow). */
  storedBytes?: number | undefined;
}

export interface IngestBatchOptions {
  /** Read each tenant's stored bytes back (for the storage budget), folded into the requests insert. */
  readUsage?: boolean;
}

/**
 * Stores a batch of ingested requests in one transaction, with a fixed number of
 * statements whatever the batch size, so commits can be grouped under load.
 * Deduplication is the unique (source_id, provider_event_id) index: ON CONFLICT DO NOTHING
 * lets simultaneous copies race, in one batch or across transactions, and exactly one wins.
 */
export async function storeIngestBatch(
  db: Db,
  writes: readonly IngestWrite[],
  options: IngestBatchOptions = {},
): Promise<IngestWriteResult[]> {
  return db.transaction().execute(async (trx) => {
    const events = writes.flatMap((w) => (w.event ? [w.event] : []));
    const inserted = new Set<string>();
    const existing = new Map<string, string>();
    const key = (sourceId: string, providerEventId: string) => `${sourceId}\u0000${providerEventId}`;

    if (events.length > 0) {
      const rows = await trx
        .insertInto('events')
        .values(events)
        .onConflict((oc) => oc.columns(['source_id', 'provider_event_id']).doNothing())
        .returning('id')
        .execute();
      for (const row of rows) inserted.add(row.id);
      const losers = events.filter((e) => !inserted.has(e.id));
      if (losers.length > 0) {
        const found = await trx
          .selectFrom('events')
          .select(['id', 'source_id', 'provider_event_id'])
          .where((eb) =>
            eb.or(losers.map((e) => eb.and([eb('source_id', '=', e.source_id), eb('provider_event_id', '=', e.provider_event_id)]))),
          )
          .execute();
        for (const row of found) existing.set(key(row.source_id, row.provider_event_id), row.id);
      }
    }

    const sourceIds = [...new Set(events.filter((e) => inserted.has(e.id)).map((e) => e.source_id))];
    const destinations = await listDestinationsForSources(trx, sourceIds);
    const now = new Date();
    const results: IngestWriteResult[] = [];
    const deliveryRows = [];
    for (const write of writes) {
      const event = write.event;
      if (!event) {
        results.push({ eventId: null, duplicate: false, deliveries: [] });
        continue;
      }
      if (inserted.has(event.id)) {
        const deliveries = destinations
          .filter((d) => d.source_id === event.source_id && matchesEventTypes(d.event_types, event.type))
          .map((d) => ({
            id: newId('delivery'),
            tenant_id: event.tenant_id,
            event_id: event.id,
            destination_id: d.id,
            status: 'pending' as const,
            next_attempt_at: now,
          }));
        deliveryRows.push(...deliveries);
        results.push({ eventId: event.id, duplicate: false, deliveries: deliveries.map((d) => ({ id: d.id, runAt: now })) });
      } else {
        const firstId = existing.get(key(event.source_id, event.provider_event_id)) ?? null;
        results.push({ eventId: firstId, duplicate: true, deliveries: [] });
      }
    }
    if (deliveryRows.length > 0) await trx.insertInto('deliveries').values(deliveryRows).execute();
    const requests = writes.map((w, i) => {
      const result = results[i] as IngestWriteResult;
      return { ...w.request, outcome: result.duplicate ? 'duplicate' : w.request.outcome, event_id: result.eventId };
    });
    const tenantIds = [...new Set(requests.flatMap((r) => (r.tenant_id ? [r.tenant_id] : [])))];
    if (options.readUsage && tenantIds.length > 0) {
      // One statement: the insert runs as a CTE and the usage is read beside it (no extra
      // round trip). The usage triggers keep tenant_usage; this reads what earlier
      // statements of this transaction (the events) already added.
      const usage = await trx
        .with('stored', (qb) => qb.insertInto('requests').values(requests))
        .selectFrom('tenant_usage')
        .select(['tenant_id', (eb) => eb.fn.sum<string | number>('stored_bytes').as('bytes')])
        .where('tenant_id', 'in', tenantIds)
        .groupBy('tenant_id')
        .execute();
      const bytes = new Map(usage.map((u) => [u.tenant_id, Number(u.bytes)]));
      for (const [i, r] of requests.entries()) {
        if (r.tenant_id) (results[i] as IngestWriteResult).storedBytes = bytes.get(r.tenant_id) ?? 0;
      }
    } else {
      await trx.insertInto('requests').values(requests).execute();
    }
    // Announce each tenant-owned request, and each new event, on the live stream.
    const entries = [
      ...requests.flatMap((r) =>
        r.tenant_id ? [{ tenant_id: r.tenant_id, source_id: r.source_id, kind: 'request' as const, ref_id: r.id }] : [],
      ),
      ...events
        .filter((e) => inserted.has(e.id))
        .map((e) => ({ tenant_id: e.tenant_id, source_id: e.source_id, kind: 'event' as const, ref_id: e.id })),
    ];
    if (entries.length > 0) await trx.insertInto('stream_entries').values(entries).execute();
    return results;
  });
}
