import type { RateLimitedCount, Source } from '@hookline/db';
import type { FastifyBaseLogger } from 'fastify';
import { addressBucket } from './unknown-keys.ts';

interface Pending {
  minute: number;
  /** The ingest key a source's budget was spent on; null for an address's unknown-key budget. */
  ingestKey: string | null;
  address: string;
  count: number;
}

export interface RateLimitTallyDeps {
  /** Which source a key belongs to (ingest's lookup, with its negative cache). */
  findSource: (ingestKey: string) => Promise<Source | undefined>;
  write: (counts: RateLimitedCount[]) => Promise<void>;
  log: FastifyBaseLogger;
  flushEveryMs?: number;
  /** Most distinct (minute, key, address) entries held between flushes; more are lumped together. */
  maxPending?: number;
  now?: () => number;
}

/**
 * Counts ingest requests answered 429, so that a flood leaves a trace without a row per
 * request: counts are added up in memory and written once a second, per source (or, for
 * keys no source has, per client address) and minute, into `rate_limited_counts`.
 */
export class RateLimitTally {
  #pending = new Map<string, Pending>();
  #timer: NodeJS.Timeout;
  #flushing: Promise<void> | undefined;

  constructor(private readonly deps: RateLimitTallyDeps) {
    this.#timer = setInterval(() => void this.flush(), deps.flushEveryMs ?? 1_000);
    this.#timer.unref();
  }

  /** A request refused by a source's budget (the key may still turn out to be unknown). */
  countSource(ingestKey: string, ip: string): void {
    this.#add(ingestKey, ip);
  }

  /** A request to an unknown key refused by its address's budget. */
  countAddress(ip: string): void {
    this.#add(null, ip);
  }

  #add(ingestKey: string | null, ip: string) {
    const minute = Math.floor((this.deps.now ?? Date.now)() / 60_000) * 60_000;
    let key = ingestKey;
    let address = addressBucket(ip);
    let id = `${minute}\u0000${key ?? ''}\u0000${address}`;
    if (!this.#pending.has(id) && this.#pending.size >= (this.deps.maxPending ?? 10_000)) {
      // Too many distinct senders between two flushes: count the rest as one (`address:*`).
      key = null;
      address = '*';
      id = `${minute}\u0000\u0000*`;
    }
    const entry = this.#pending.get(id);
    if (entry) entry.count++;
    else this.#pending.set(id, { minute, ingestKey: key, address, count: 1 });
  }

  /** Writes what was counted; on failure keeps it for the next flush. */
  flush(): Promise<void> {
    this.#flushing ??= this.#flush().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#flushing;
    await this.flush();
  }

  async #flush(): Promise<void> {
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    try {
      await this.deps.write(await this.#resolve([...batch.values()]));
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message }, 'ingest: recording rate-limited counts failed; will retry');
      for (const [id, entry] of batch) {
        const now = this.#pending.get(id);
        if (now) now.count += entry.count;
        else this.#pending.set(id, entry);
      }
    }
  }

  /** Attributes each count to its source, or to its address when no source has the key. */
  async #resolve(entries: Pending[]): Promise<RateLimitedCount[]> {
    const sources = new Map<string, Source | undefined>();
    for (const key of new Set(entries.flatMap((e) => (e.ingestKey ? [e.ingestKey] : [])))) {
      sources.set(key, await this.deps.findSource(key));
    }
    const rows = new Map<string, RateLimitedCount>();
    for (const e of entries) {
      const source = e.ingestKey ? sources.get(e.ingestKey) : undefined;
      const row: RateLimitedCount = source
        ? {
            subject: `source:${source.id}`,
            minute: new Date(e.minute),
            tenant_id: source.tenant_id,
            source_id: source.id,
            remote_ip: null,
            count: 0,
          }
        : { subject: `address:${e.address}`, minute: new Date(e.minute), tenant_id: null, source_id: null, remote_ip: e.address, count: 0 };
      const id = `${row.subject}\u0000${e.minute}`;
      const existing = rows.get(id) ?? row;
      existing.count += e.count;
      rows.set(id, existing);
    }
    return [...rows.values()];
  }
}
