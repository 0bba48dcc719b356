/** An event's deliveries summed up in one word (failed beats pending beats delivered), as `GET /v1/events` shows and filters. */
export type EventStatus = 'delivered' | 'pending' | 'failed' | 'no_destinations';

/**
 * The delivery statuses a bulk replay of the events in a status redelivers (a replay picks
 * deliveries, not events): `POST /v1/events/replay` and the live log's Replay. An event with
 * no destinations has nothing to replay.
 */
export const REPLAYED_DELIVERY_STATUSES = {
  failed: ['failed'],
  pending: ['pending', 'held'],
  delivered: ['succeeded'],
} as const satisfies Record<Exclude<EventStatus, 'no_destinations'>, readonly string[]>;
