import { createRequire } from 'node:module';
import type { FastifyRateLimitOptions, FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Redis } from 'ioredis';

// @fastify/rate-limit's own stores (and RedisStore's key names and counts, coalesced below),
// so counting works exactly as with its built-in options. They are CommonJS files without
// type declarations of their own.
type Counts = { current: number; ttl: number };
type Callback = (error: Error | null, result?: Counts) => void;
interface Store extends FastifyRateLimitStore {
  read(key: string, callback: Callback, timeWindow: number, max: number): void;
  child(routeOptions: unknown): Store;
}
const require = createRequire(import.meta.url);
const LocalStore: new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
) => Store = require('@fastify/rate-limit/store/LocalStore.js');
/** RedisStore keeps its keys' prefix (its children's include the route) in `key`. */
interface RedisStoreInstance extends Store {
  readonly key: string;
  child(routeOptions: unknown): RedisStoreInstance;
}
const RedisStore: new (continueExceeding: boolean, exponentialBackoff: boolean, redis: Redis, key: string) => RedisStoreInstance =
  require('@fastify/rate-limit/store/RedisStore.js');

/**
 * RedisStore's count, by `n` at once: the key expires a window after its first count, as
 * with one INCR each (an expiry lost somehow is set again rather than counting forever).
 */
const INCR_BY = `
  local current = redis.call('INCRBY', KEYS[1], ARGV[2])
  local ttl = redis.call('PTTL', KEYS[1])
  if current == tonumber(ARGV[2]) or ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1])
  end
  return {current, ttl}`;

type IncrBy = (key: string, timeWindow: number, n: number, callback: (err: Error | null, result?: [number, number]) => void) => void;

/**
 * RedisStore with the increments of one turn of the event loop sent together: one call per
 * key for every request counted meanwhile, each answered with its own place in the count,
 * the numbers one INCR each would have given (in some order), so limits hold exactly as
 * before. Under load the relay takes several requests a turn, and one Redis call per
 * request was its largest cost after PostgreSQL (issue 11). Reads go to RedisStore, whose
 * key names (its `key` prefix) this store counts under, so counts carry over an upgrade.
 */
class CoalescingRedisStore implements Store {
  #pending: Map<string, { timeWindow: number; callbacks: Callback[] }> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly reader: RedisStoreInstance,
  ) {
    if (!(redis as unknown as { hooklineIncrBy?: IncrBy }).hooklineIncrBy) {
      redis.defineCommand('hooklineIncrBy', { numberOfKeys: 1, lua: INCR_BY });
    }
  }

  incr(key: string, callback: Callback, timeWindow: number): void {
    if (!this.#pending) {
      this.#pending = new Map();
      setImmediate(() => this.#flush());
    }
    const entry = this.#pending.get(key);
    if (entry) entry.callbacks.push(callback);
    else this.#pending.set(key, { timeWindow, callbacks: [callback] });
  }

  #flush(): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (!pending) return;
    const incrBy = (this.redis as unknown as { hooklineIncrBy: IncrBy }).hooklineIncrBy.bind(this.redis);
    for (const [key, { timeWindow, callbacks }] of pending) {
      incrBy(this.reader.key + key, timeWindow, callbacks.length, (err, result) => {
        if (err || !result) {
          for (const callback of callbacks) callback(err ?? new Error('empty answer from Redis'));
          return;
        }
        const [total, ttl] = result;
        const first = total - callbacks.length;
        callbacks.forEach((callback, i) => {
          callback(null, { current: first + i + 1, ttl });
        });
      });
    }
  }

  read(key: string, callback: Callback, timeWindow: number, max: number): void {
    this.reader.read(key, callback, timeWindow, max);
  }

  child(routeOptions: unknown): Store {
    return new CoalescingRedisStore(this.redis, this.reader.child(routeOptions));
  }
}

export interface FailoverOptions {
  redis: Redis;
  /** Prefix of the Redis keys. */
  nameSpace: string;
  /** A Redis call slower than this counts as a failure (a hung or unreachable server). */
  timeoutMs?: number;
  /** After a failure, how long requests count in this process before Redis is tried again. */
  retryMs?: number;
  onFallback?: (err: Error) => void;
  onRecover?: () => void;
}

/**
 * Whether Redis is worth asking. Shared by a store and its children. After a failure only
 * one request at a time probes Redis (once `retryMs` has passed), so an outage costs at
 * most one slow request per interval, not one per request.
 */
class RedisHealth {
  #down = false;
  #retryAt = 0;
  #probing = false;

  constructor(
    private readonly redis: Redis,
    private readonly options: FailoverOptions,
  ) {}

  /** True when this call should go to Redis; the caller then reports how it went. */
  take(): boolean {
    // A client that is not connected (yet, or any more) would fail at once, as it has no
    // offline queue: count here without trying. Its connection errors are logged by its owner.
    if (this.redis.status !== 'ready') return false;
    if (!this.#down) return true;
    if (this.#probing || Date.now() < this.#retryAt) return false;
    this.#probing = true;
    return true;
  }

  succeeded(): void {
    this.#probing = false;
    if (!this.#down) return;
    this.#down = false;
    this.options.onRecover?.();
  }

  failed(err: Error): void {
    this.#probing = false;
    this.#retryAt = Date.now() + (this.options.retryMs ?? 1_000);
    if (this.#down) return;
    this.#down = true;
    this.options.onFallback?.(err);
  }
}

/**
 * A rate-limit store that stays in force when Redis is not: it counts in Redis (one budget
 * shared by every process) while Redis answers, and in this process (a budget per process)
 * when a Redis call fails or takes longer than `timeoutMs`, going back to Redis once it
 * answers again. `skipOnError` would instead let every request through during an outage,
 * login guessing included.
 */
class FailoverStore implements Store {
  constructor(
    private readonly redis: Store,
    private readonly local: Store,
    private readonly health: RedisHealth,
    private readonly timeoutMs: number,
  ) {}

  incr(key: string, callback: Callback, timeWindow: number, max: number): void {
    this.#call('incr', key, callback, timeWindow, max);
  }

  read(key: string, callback: Callback, timeWindow: number, max: number): void {
    this.#call('read', key, callback, timeWindow, max);
  }

  child(routeOptions: unknown): Store {
    return new FailoverStore(this.redis.child(routeOptions), this.local.child(routeOptions), this.health, this.timeoutMs);
  }

  #call(method: 'incr' | 'read', key: string, callback: Callback, timeWindow: number, max: number): void {
    if (!this.health.take()) {
      this.local[method](key, callback, timeWindow, max);
      return;
    }
    let settled = false;
    const fallBack = (err: Error) => {
      settled = true;
      this.health.failed(err);
      this.local[method](key, callback, timeWindow, max);
    };
    const timer = setTimeout(() => fallBack(new Error(`no answer from Redis in ${this.timeoutMs} ms`)), this.timeoutMs);
    this.redis[method](
      key,
      (err, result) => {
        if (settled) return; // timed out: already counted locally
        clearTimeout(timer);
        if (err || !result) return fallBack(err ?? new Error('empty answer from Redis'));
        settled = true;
        this.health.succeeded();
        callback(null, result);
      },
      timeWindow,
      max,
    );
  }
}

/** The `store` option of @fastify/rate-limit for a Redis with an in-process fallback. */
export function failoverStore(options: FailoverOptions): FastifyRateLimitStoreCtor {
  const health = new RedisHealth(options.redis, options);
  const timeoutMs = options.timeoutMs ?? 250;
  return class extends FailoverStore {
    // The plugin constructs its store with its resolved options.
    constructor(params: FastifyRateLimitOptions & { continueExceeding?: boolean; exponentialBackoff?: boolean }) {
      const continueExceeding = params.continueExceeding ?? false;
      const exponentialBackoff = params.exponentialBackoff ?? false;
      // The coalesced count is the plain fixed window; these two change what an INCR does.
      if (continueExceeding || exponentialBackoff)
        throw new Error('failoverStore: continueExceeding and exponentialBackoff are not supported');
      super(
        new CoalescingRedisStore(options.redis, new RedisStore(continueExceeding, exponentialBackoff, options.redis, options.nameSpace)),
        new LocalStore(continueExceeding, exponentialBackoff),
        health,
        timeoutMs,
      );
    }
  };
}
