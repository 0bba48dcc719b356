import { BullMqQueue } from './bullmq-queue.ts';
import { MemoryQueue } from './memory-queue.ts';
import type { DeliveryQueue } from './types.ts';

export * from './types.ts';
export { BullMqQueue, MemoryQueue };

/** BullMQ when a Redis URL is configured, the in-process queue otherwise. */
export function openQueue(options: { redisUrl?: string | undefined; prefix: string; onError?: (err: Error) => void }): DeliveryQueue {
  if (options.redisUrl) {
    return new BullMqQueue({ redisUrl: options.redisUrl, prefix: options.prefix, onError: options.onError });
  }
  return new MemoryQueue();
}
export * from './notifier.ts';
