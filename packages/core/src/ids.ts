import { randomBytes, randomFillSync } from 'node:crypto';

/**
 * Public ids are prefixed and time-sortable (a ULID body: 48-bit milliseconds, 80 random
 * bits, Crockford base32), so `ORDER BY id DESC` is newest-first and makes a stable cursor.
 * The prefix says what kind of thing an id names; a wrong prefix is a 404 at the edge.
 */
export const ID_PREFIXES = {
  tenant: 'ten',
  user: 'usr',
  apiKey: 'key',
  source: 'src',
  destination: 'dst',
  request: 'req',
  event: 'evt',
  delivery: 'dlv',
  attempt: 'att',
  session: 'ses',
  alertChannel: 'alc',
  alert: 'alr',
  alertNotification: 'ntf',
  replay: 'rpl',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * Random bytes for ids, drawn from the CSPRNG 4 KB at a time: every request, event,
 * delivery and attempt takes an id, and a call into OpenSSL per id showed in the hot
 * path's profile (about 2 % of the relay). Each byte is used once.
 */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function random16(): Buffer {
  if (poolOffset + 16 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  poolOffset += 16;
  return pool.subarray(poolOffset - 16, poolOffset);
}

export function ulid(now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = random16();
  let rand = '';
  for (let i = 0; i < 16; i++) rand += CROCKFORD[(bytes[i] as number) % 32];
  return time + rand;
}

export function newId(kind: IdKind, now?: number): string {
  return `${ID_PREFIXES[kind]}_${ulid(now)}`;
}

/**
 * The smallest id of this kind made at or after `date`: ids sort by time, so `id < bound`
 * selects what was made before it (pruning and time filters use the primary key this way).
 */
export function idTimeBound(kind: IdKind, date: Date): string {
  return `${ID_PREFIXES[kind]}_${ulid(date.getTime()).slice(0, 10)}`;
}

const ID_SHAPE = /^[a-z]{3}_[0-9A-HJKMNP-TV-Z]{26}$/;

/** True when `id` is well formed and of the given kind. */
export function isId(kind: IdKind, id: string): boolean {
  return id.startsWith(`${ID_PREFIXES[kind]}_`) && ID_SHAPE.test(id);
}

/** An unguessable url-safe token (used for ingest keys and API keys). */
export function randomToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}
