import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { ApiError } from './errors.ts';
import { failoverStore } from './failover-store.ts';

export interface RateLimitOptions {
  /** Requests per minute. */
  max: number;
  /** What one budget belongs to (an API key, a source, an address). */
  key: (request: FastifyRequest) => string;
  /** Shared counters across processes in scale mode (per process while Redis is unreachable); per process otherwise. */
  redis?: Redis | undefined;
  nameSpace: string;
}

/**
 * Limits every route of the context it is registered in. Runs before the handler (after
 * authentication, so budgets can be per API key) and answers 429 with Retry-After in the
 * house error shape.
 */
export async function limitRequests(app: FastifyInstance, options: RateLimitOptions) {
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: options.max,
    timeWindow: 60_000,
    keyGenerator: options.key,
    nameSpace: options.nameSpace,
    // Never skipOnError: limits stay in force through a Redis outage, counted per process.
    ...(options.redis
      ? {
          store: failoverStore({
            redis: options.redis,
            nameSpace: options.nameSpace,
            onFallback: (err) =>
              app.log.warn({ err: err.message, nameSpace: options.nameSpace }, 'rate limits: Redis unreachable, counting in this process'),
            onRecover: () => app.log.info({ nameSpace: options.nameSpace }, 'rate limits: counting in Redis again'),
          }),
        }
      : {}),
    errorResponseBuilder: (_request, context) =>
      new ApiError(429, 'rate_limited', `rate limit of ${context.max} requests per minute reached; retry in ${context.after}`),
  });
}

/** One budget per API key (hashed: keys never sit in Redis), or per tenant for web sessions. */
export function perCaller(request: FastifyRequest): string {
  const auth = request.headers.authorization;
  if (auth) return `key:${createHash('sha256').update(auth).digest('hex').slice(0, 32)}`;
  return `tenant:${request.tenantId}`;
}
