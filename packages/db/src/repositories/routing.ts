import { sql } from 'kysely';
import type { Db } from '../database.ts';
import type { DestinationOrdering, Source } from '../tables.ts';

/** What a destination needs at ingest (fan-out) and for a first attempt handed straight to a local worker. */
export interface RoutedDestination {
  id: string;
  event_types: string[] | null;
  url: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
  paused_at: Date | null;
  /** The filter document, or null (see @hookline/rules). */
  filter: Record<string, unknown> | null;
  transform: string | null;
  /** 'object': its deliveries get an object_key and wait ordering_window_ms (see object-order). */
  ordering: DestinationOrdering;
  ordering_window_ms: number;
}

/** A source with its destinations, as of `config_version`. */
export interface Routing {
  source: Source;
  configVersion: string;
  destinations: RoutedDestination[];
}

const asDate = (v: string | null) => (v === null ? null : new Date(v));

/** Ingest's lookup, in one round trip: the source with this ingest key hash and all its destinations. */
export async function loadRouting(db: Db, ingestKeyHash: string): Promise<Routing | undefined> {
  const row = await db
    .selectFrom('sources')
    .selectAll()
    .select([
      sql<string>`config_version::text`.as('version'),
      sql<RoutedDestination[]>`coalesce((
        select json_agg(json_build_object(
          'id', d.id, 'event_types', d.event_types, 'url', d.url, 'secret_sealed', d.secret_sealed,
          'previous_secret_sealed', d.previous_secret_sealed, 'previous_secret_expires_at', d.previous_secret_expires_at,
          'paused_at', d.paused_at, 'filter', d.filter, 'transform', d.transform,
          'ordering', d.ordering, 'ordering_window_ms', d.ordering_window_ms) order by d.id)
        from destinations d where d.source_id = sources.id), '[]'::json)`.as('destinations'),
    ])
    .where('ingest_key_hash', '=', ingestKeyHash)
    .executeTakeFirst();
  if (!row) return undefined;
  const { version, destinations, ...source } = row;
  return {
    source: source as Source,
    configVersion: version,
    destinations: (typeof destinations === 'string' ? JSON.parse(destinations) : destinations).map((d: RoutedDestination) => ({
      ...d,
      previous_secret_expires_at: asDate(d.previous_secret_expires_at as unknown as string | null),
      paused_at: asDate(d.paused_at as unknown as string | null),
    })),
  };
}
