/**
 * The event search language of `GET /v1/events?q=` (CONTRACT §9): whitespace-separated
 * terms, all of which must match. A term is either
 *  - `path:value`, a field of the normalized envelope (`data.passthrough:abc`,
 *    `object.id:xyz`, `type:video.asset.ready`), where the path starts with one of the
 *    envelope's own keys; the value may be double-quoted to hold spaces (`data.title:"a b"`),
 *    and a value that reads as a number, true, false or null also matches that JSON value;
 *  - anything else: an event id or provider event id (what `q` took before field queries).
 */
export interface FieldTerm {
  kind: 'field';
  path: string[];
  value: string;
}
export interface IdTerm {
  kind: 'id';
  value: string;
}
export type EventQueryTerm = FieldTerm | IdTerm;

/** The envelope's top-level keys: a term naming one of these is a field query. */
const ENVELOPE_KEYS = new Set([
  'id',
  'type',
  'provider',
  'source_id',
  'occurred_at',
  'received_at',
  'object',
  'environment',
  'provider_event',
  'data',
]);

export const MAX_QUERY_TERMS = 8;

export class EventQueryError extends Error {}

// A term: `path:"quoted value"`, `path:value`, or a bare word.
const TERM = /(?:([A-Za-z_][\w-]*(?:\.[\w-]+)*):(?:"((?:[^"\\]|\\.)*)"|(\S*)))|(\S+)/g;

export function parseEventQuery(q: string): EventQueryTerm[] {
  const terms: EventQueryTerm[] = [];
  for (const match of q.matchAll(TERM)) {
    const [whole, path, quoted, plain, bare] = match;
    const segments = path?.split('.');
    if (segments && ENVELOPE_KEYS.has(segments[0] as string)) {
      const value = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (plain as string);
      if (value === '') throw new EventQueryError(`${path}: give a value after the colon`);
      terms.push({ kind: 'field', path: segments, value });
    } else {
      terms.push({ kind: 'id', value: bare ?? whole });
    }
  }
  if (terms.length > MAX_QUERY_TERMS) throw new EventQueryError(`at most ${MAX_QUERY_TERMS} terms`);
  return terms;
}

/**
 * A field term as a SQL/JSON path predicate (`$."data"."status" == "errored"`). In lax mode
 * arrays on the way are looked into, so `data.tracks.type:video` finds any track of that
 * type. jsonb_path_ops GIN indexes answer these predicates.
 */
export function fieldTermJsonPath(term: FieldTerm): string {
  const path = `$${term.path.map((s) => `.${JSON.stringify(s)}`).join('')}`;
  const alternatives = [`${path} == ${JSON.stringify(term.value)}`];
  const literal = jsonLiteral(term.value);
  if (literal !== undefined) alternatives.push(`${path} == ${literal}`);
  return alternatives.join(' || ');
}

/** The JSON value a typed-in value also stands for: a number, true, false or null. */
function jsonLiteral(value: string): string | undefined {
  if (value === 'true' || value === 'false' || value === 'null') return value;
  if (/^-?(0|[1-9]\d{0,15})(\.\d{1,15})?$/.test(value)) return value;
  return undefined;
}

/**
 * Whether a normalized event (as parsed JSON) matches the terms, as the database's index
 * search does: for live views that filter events arriving on the stream by the same query.
 */
export function matchesEventQuery(terms: readonly EventQueryTerm[], event: Record<string, unknown>): boolean {
  return terms.every((term) => {
    if (term.kind === 'id') {
      const providerEvent = event.provider_event as { id?: unknown } | null | undefined;
      return event.id === term.value || providerEvent?.id === term.value;
    }
    const literal = jsonLiteral(term.value);
    const wanted = literal === undefined ? undefined : JSON.parse(literal);
    return valuesAt(event, term.path).some((v) => v === term.value || (literal !== undefined && v === wanted));
  });
}

/** The values at a path, looking into arrays on the way and at the end (lax SQL/JSON paths do). */
function valuesAt(value: unknown, path: readonly string[]): unknown[] {
  if (Array.isArray(value)) return value.flatMap((v) => valuesAt(v, path));
  if (path.length === 0) return [value];
  if (value === null || typeof value !== 'object') return [];
  const [head, ...rest] = path;
  return valuesAt((value as Record<string, unknown>)[head as string], rest);
}
