import { jsonDepth } from '@hookline/core';

/**
 * The deepest stored event the API shows as it is, counting the envelope as one level: one
 * more than the deepest body ingest can be set to accept (HOOKLINE_MAX_JSON_DEPTH, at most
 * 1,000), so only events stored before that limit existed can be deeper. Those would break
 * the views and their clients: JSON.stringify overflows the stack a few thousand levels
 * down (a 500 for a whole page, a stream re-sending one batch forever), and Python's json
 * module gives up near 1,000.
 */
export const MAX_EVENT_DEPTH = 1001;

export type DataOmittedReason = 'too_deep' | 'unreadable';

/**
 * A stored event as the JSON text the API answers with, with `extra` members appended (a
 * list's `status`; a detail's `status`, `request` and `deliveries`).
 *
 * `events.payload` is already the normalized event as JSON text, so it is spliced, not
 * parsed and re-serialized: `data` comes out as the provider sent it (numbers past 2^53,
 * escapes). An event that cannot be shown (nested deeper than MAX_EVENT_DEPTH, or a payload
 * that is not a JSON object) never fails the page or the stream around it: it comes out as
 * its envelope with `data: null` and `data_omitted: {reason, message}`, which clients can
 * recognise (described in the OpenAPI document).
 */
export function eventJson(event: { id: string; payload: string }, extra: Record<string, unknown> = {}): string {
  const text = event.payload.trimEnd();
  const value = parseEvent(text);
  if (!value) return withDataOmitted({ id: event.id }, 'unreadable', extra);
  if (jsonDepth(text, MAX_EVENT_DEPTH) > MAX_EVENT_DEPTH) {
    const { data: _, ...envelope } = value;
    return withDataOmitted({ ...envelope, id: event.id }, 'too_deep', extra);
  }
  const tail = Object.entries(extra)
    .map(([key, member]) => `,${JSON.stringify(key)}:${JSON.stringify(member)}`)
    .join('');
  return `${text.slice(0, -1)}${tail}}`;
}

/**
 * The payload parsed, when it is a JSON object with an id (so a member can be appended
 * after its last). JSON.parse is iterative in V8: deep text parses, only serializing it fails.
 */
function parseEvent(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    const isEvent = value !== null && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string';
    return isEvent ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const MESSAGES: Record<DataOmittedReason, string> = {
  too_deep: `data nests deeper than ${MAX_EVENT_DEPTH - 1} levels, too deep to show; the request body as received is in the event's detail`,
  unreadable: 'the stored event is not a JSON object and cannot be shown',
};

function withDataOmitted(envelope: { id: string }, reason: DataOmittedReason, extra: Record<string, unknown>): string {
  const marker = { data: null, data_omitted: { reason, message: MESSAGES[reason] }, ...extra };
  try {
    return JSON.stringify({ ...envelope, ...marker });
  } catch {
    // An envelope member as deep as the data (not one Hookline writes): the id must do.
    return JSON.stringify({ id: envelope.id, ...marker });
  }
}
