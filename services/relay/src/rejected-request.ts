import type { HeaderMap } from '@hookline/providers';

/** Most header bytes (names and values) kept for a request stored as metadata only. */
export const REJECTED_HEADERS_MAX_BYTES = 4096;
/** The header that says what a capped header map left out. */
export const OMITTED_HEADERS = 'hookline-omitted-headers';

/**
 * The first `maxBytes` of a body, copied (so the full body is not kept alive by a slice),
 * or null for none. Unverified and refused requests keep only this: anyone can send them.
 */
export function bodyExcerpt(body: Buffer | null | undefined, maxBytes: number): Buffer | null {
  if (!body || body.length === 0 || maxBytes <= 0) return null;
  return Buffer.from(body.subarray(0, maxBytes));
}

/**
 * Headers in arrival order up to `maxBytes`: a value that does not fit is cut, headers past
 * the cap are dropped, and one more header says how many went and how big they were.
 */
export function capHeaders(headers: HeaderMap, maxBytes = REJECTED_HEADERS_MAX_BYTES): Record<string, string> {
  const kept: Record<string, string> = {};
  let left = maxBytes;
  let omitted = 0;
  let omittedBytes = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const size = name.length + value.length;
    if (size <= left) {
      kept[name] = value;
      left -= size;
    } else if (left - name.length >= 64) {
      // Long enough to be worth a prefix (a signature header, a user agent).
      const room = left - name.length - 1;
      kept[name] = `${value.slice(0, room)}…`;
      omittedBytes += value.length - room;
      left = 0;
    } else {
      omitted++;
      omittedBytes += size;
    }
  }
  if (omitted > 0 || omittedBytes > 0) {
    kept[OMITTED_HEADERS] =
      `${omitted} headers and ${omittedBytes} bytes not kept (headers of rejected requests are capped at ${maxBytes} bytes)`;
  }
  return kept;
}
