import { hashIngestKey, type SecretBox } from '@hookline/core';
import { type Db, loadRouting, type RoutedDestination, type Routing } from '@hookline/db';
import { compileFilter, type Matcher } from '@hookline/rules';

/** A destination with its filter compiled once (null: no filter). */
export interface CachedDestination extends RoutedDestination {
  matches: Matcher | null;
}

/** A cached source: its routing, its destinations' filters compiled and its provider secrets opened, once. */
export interface CachedRouting extends Routing {
  destinations: CachedDestination[];
  /** The current secret, and the previous one while its rotation grace period lasts. */
  secrets(nowMs: number): string[];
}

interface Entry {
  routing: CachedRouting;
  loadedAt: number;
}

/**
 * Sources and their destinations by ingest key, in process, so an ingested request costs no
 * lookup. Correctness does not rest on invalidation: every write carries the
 * `config_version` it was routed with and is refused as stale by the same statement if the
 * source or a destination changed since (see storeIngestBatch); the ingestor then drops the
 * entry and routes the request again. The age limit only bounds how long opened secrets and
 * unused entries stay in memory.
 */
export class RoutingCache {
  readonly #entries = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<CachedRouting | undefined>>();

  constructor(private readonly deps: { db: Db; secrets: SecretBox; maxEntries?: number; maxAgeMs?: number; now?: () => number }) {}

  /** The routing of the source with this ingest key, or undefined when no source has it. */
  get(ingestKey: string): Promise<CachedRouting | undefined> {
    const hash = hashIngestKey(ingestKey);
    const entry = this.#entries.get(hash);
    if (entry && this.#now() - entry.loadedAt < (this.deps.maxAgeMs ?? 60_000)) return Promise.resolve(entry.routing);
    let loading = this.#loading.get(hash);
    if (!loading) {
      // Concurrent requests for one key share a single read.
      loading = this.#load(hash).finally(() => this.#loading.delete(hash));
      this.#loading.set(hash, loading);
    }
    return loading;
  }

  /** Forgets a key's routing (its write came back stale). */
  drop(ingestKey: string): void {
    this.#entries.delete(hashIngestKey(ingestKey));
  }

  async #load(hash: string): Promise<CachedRouting | undefined> {
    const routing = await loadRouting(this.deps.db, hash);
    this.#entries.delete(hash);
    if (!routing) return undefined;
    const cached = this.#withSecrets(routing);
    if (this.#entries.size >= (this.deps.maxEntries ?? 10_000)) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(hash, { routing: cached, loadedAt: this.#now() });
    return cached;
  }

  #withSecrets(routing: Routing): CachedRouting {
    const { source } = routing;
    const current = source.secret_sealed ? this.deps.secrets.open(source.secret_sealed) : null;
    const previous = source.previous_secret_sealed ? this.deps.secrets.open(source.previous_secret_sealed) : null;
    const previousUntil = source.previous_secret_expires_at?.getTime() ?? 0;
    return {
      ...routing,
      destinations: routing.destinations.map((d) => ({ ...d, matches: compiled(d.filter) })),
      secrets: (nowMs) => [...(current ? [current] : []), ...(previous && previousUntil > nowMs ? [previous] : [])],
    };
  }

  #now(): number {
    return (this.deps.now ?? Date.now)();
  }
}

/** Filters were validated on write; one that no longer compiles (a stricter release) lets every event through rather than drop any. */
function compiled(filter: Record<string, unknown> | null): Matcher | null {
  if (filter === null) return null;
  try {
    return compileFilter(filter);
  } catch {
    return null;
  }
}
