import type { EnvironmentRef, ObjectRef } from './types.ts';

export function asString(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : null;
}

export function asRecord(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** An ISO-8601 instant from an ISO string or unix seconds; null when absent or unreadable. */
export function asInstant(value: unknown): string | null {
  let date: Date | null = null;
  if (typeof value === 'string' && value !== '') date = new Date(value);
  else if (typeof value === 'number') date = new Date(value < 1e12 ? value * 1000 : value);
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : null;
}

/** Providers' spellings of object kinds, mapped onto the canonical ones (CONTRACT §3). */
const OBJECT_TYPES: Record<string, string> = {
  asset: 'asset',
  media: 'asset',
  upload: 'upload',
  live: 'live_stream',
  'live-stream': 'live_stream',
  live_stream: 'live_stream',
  'simulcast-target': 'simulcast_target',
  simulcast_target: 'simulcast_target',
  track: 'track',
  static_rendition: 'static_rendition',
  'static-rendition': 'static_rendition',
  delivery: 'delivery',
};

/** Canonical object type; an unknown spelling is kept as sent. */
export function canonicalObjectType(type: string): string {
  return OBJECT_TYPES[type] ?? type;
}

export function objectRef(value: unknown): ObjectRef | null {
  const obj = asRecord(value);
  const type = obj && asString(obj.type);
  if (!obj || !type) return null;
  return { type: canonicalObjectType(type), id: asString(obj.id) };
}

export function environmentRef(value: unknown): EnvironmentRef | null {
  const env = asRecord(value);
  if (!env) return null;
  const id = asString(env.id);
  const name = asString(env.name);
  return id || name ? { id, name } : null;
}

/** The first value that reads as an instant. */
export function firstInstant(...values: unknown[]): string | null {
  for (const value of values) {
    const instant = asInstant(value);
    if (instant) return instant;
  }
  return null;
}

/**
 * The whole body as the JSON text to forward as `data`, for providers whose payload is the
 * event's data itself (GitHub, Shopify). Only the BOM and outer whitespace are dropped, which
 * are not part of the JSON value; the value's own bytes are untouched.
 */
export function bodyJson(body: Buffer): string {
  const start = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  return body.toString('utf8', start).replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
}
