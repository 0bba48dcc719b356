import { isIPv4 } from 'node:net';

/**
 * Keys recently found to belong to no source, so a sender repeating one costs no lookup.
 * Bounded (the oldest entry goes first) and short-lived: there is no invalidation across
 * processes, so a source created a moment after its key was looked up (in this process or
 * another) is found once the entry expires, a few seconds later.
 */
export class NegativeCache {
  readonly #expiries = new Map<string, number>();

  constructor(private readonly options: { ttlMs: number; maxEntries: number; now?: () => number }) {}

  has(key: string): boolean {
    const expires = this.#expiries.get(key);
    if (expires === undefined) return false;
    if (expires > this.#now()) return true;
    this.#expiries.delete(key);
    return false;
  }

  add(key: string): void {
    this.#expiries.delete(key);
    if (this.#expiries.size >= this.options.maxEntries) {
      const oldest = this.#expiries.keys().next();
      if (!oldest.done) this.#expiries.delete(oldest.value);
    }
    this.#expiries.set(key, this.#now() + this.options.ttlMs);
  }

  get size(): number {
    return this.#expiries.size;
  }

  #now(): number {
    return (this.options.now ?? Date.now)();
  }
}

/**
 * What one budget belongs to: the address, or for IPv6 its /64, the block one host is
 * usually given (an IPv6 sender has millions of addresses to rotate through).
 */
export function addressBucket(ip: string): string {
  if (isIPv4(ip)) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1] as string;
  const address = (ip.split('%')[0] ?? ip).toLowerCase();
  const [head = '', tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0');
  const groups = [...left, ...zeros, ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/**
 * Requests per minute per address to unknown ingest keys, counted in this process. The
 * window starts at an address's first request, so a sender gets `perMinute` and then
 * waits out the rest of its minute. Bounded: when full, expired windows go, then the oldest.
 */
export class AddressBudget {
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly options: { perMinute: number; maxAddresses?: number; now?: () => number }) {}

  /** Spends one request of the address's budget; `retryAfterMs` is set when none is left. */
  take(ip: string): { ok: true } | { ok: false; retryAfterMs: number } {
    const now = (this.options.now ?? Date.now)();
    const bucket = addressBucket(ip);
    let window = this.#windows.get(bucket);
    if (!window || now - window.start >= 60_000) {
      this.#windows.delete(bucket);
      this.#makeRoom(now);
      window = { start: now, count: 0 };
      this.#windows.set(bucket, window);
    }
    if (window.count >= this.options.perMinute) return { ok: false, retryAfterMs: window.start + 60_000 - now };
    window.count++;
    return { ok: true };
  }

  #makeRoom(now: number) {
    const max = this.options.maxAddresses ?? 50_000;
    if (this.#windows.size < max) return;
    for (const [bucket, w] of this.#windows) if (now - w.start >= 60_000) this.#windows.delete(bucket);
    while (this.#windows.size >= max) {
      const oldest = this.#windows.keys().next();
      if (oldest.done) break;
      this.#windows.delete(oldest.value);
    }
  }
}
