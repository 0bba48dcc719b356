import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';

/**
 * Wakes live streams when a tenant's stream has new entries. It carries no data: the
 * database holds the entries, so a lost wake-up only delays a stream until its next poll.
 */
export interface Notifier {
  publish(tenantId: string): void;
  subscribe(tenantId: string, wake: () => void): () => void;
  close(): Promise<void>;
}

/** One process: an EventEmitter. */
export class MemoryNotifier implements Notifier {
  readonly #emitter = new EventEmitter().setMaxListeners(0);
  publish(tenantId: string): void {
    this.#emitter.emit(tenantId);
  }
  subscribe(tenantId: string, wake: () => void): () => void {
    this.#emitter.on(tenantId, wake);
    return () => this.#emitter.off(tenantId, wake);
  }
  async close(): Promise<void> {
    this.#emitter.removeAllListeners();
  }
}

/**
 * Across processes: Redis pub/sub on one channel, fanned out locally by tenant. A process
 * listens on the channel once it serves a live stream: relay and worker processes only
 * publish, and a subscribed connection would wake them for every batch anyone writes.
 */
export class RedisNotifier implements Notifier {
  readonly #local = new MemoryNotifier();
  readonly #publisher: Redis;
  readonly #channel: string;
  readonly #options: { redisUrl: string; onError?: ((err: Error) => void) | undefined };
  #subscriber: Redis | undefined;

  constructor(options: { redisUrl: string; prefix: string; onError?: (err: Error) => void }) {
    this.#options = options;
    this.#channel = `${options.prefix}:stream`;
    this.#publisher = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    this.#publisher.on('error', (err) => options.onError?.(err));
  }

  #pending = new Set<string>();

  /**
   * Coalesced: under load every request would otherwise cost a Redis round trip, though
   * one wake-up per tenant per tick serves all of them (streams read everything new).
   */
  publish(tenantId: string): void {
    if (this.#pending.size === 0) setTimeout(() => this.#flush(), 5).unref();
    this.#pending.add(tenantId);
  }

  #flush() {
    const tenants = [...this.#pending];
    this.#pending.clear();
    const pipeline = this.#publisher.pipeline();
    for (const tenantId of tenants) pipeline.publish(this.#channel, tenantId);
    pipeline.exec().catch(() => {
      // Redis is down: streams in this process still wake; others catch up on their poll.
      for (const tenantId of tenants) this.#local.publish(tenantId);
    });
  }

  subscribe(tenantId: string, wake: () => void): () => void {
    this.#listen();
    return this.#local.subscribe(tenantId, wake);
  }

  /**
   * From the first stream on, the process listens (and keeps listening: streams come and go
   * all day on an API process). A wake-up published before SUBSCRIBE took effect is missed;
   * the stream's poll covers it.
   */
  #listen(): void {
    if (this.#subscriber) return;
    const subscriber = new Redis(this.#options.redisUrl, { maxRetriesPerRequest: null });
    subscriber.on('error', (err) => this.#options.onError?.(err));
    subscriber.on('message', (_channel, tenantId: string) => this.#local.publish(tenantId));
    subscriber.subscribe(this.#channel).catch((err) => this.#options.onError?.(err));
    this.#subscriber = subscriber;
  }

  async close(): Promise<void> {
    this.#subscriber?.disconnect();
    this.#publisher.disconnect();
    await this.#local.close();
  }
}

export function openNotifier(options: { redisUrl?: string | undefined; prefix: string; onError?: (err: Error) => void }): Notifier {
  return options.redisUrl
    ? new RedisNotifier({ redisUrl: options.redisUrl, prefix: options.prefix, onError: options.onError })
    : new MemoryNotifier();
}
