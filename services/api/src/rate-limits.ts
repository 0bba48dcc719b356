import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { ApiError } from './errors.ts';

export interface RateLimitOptions {
  /** Requests per minute. */
  max: number;
  /** What one budget belongs to (an API key, a source, an address). */
  key: (request: FastifyRequest) => string;
  /** Shared counters across processes in scale mode; per process otherwise. */
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
    ...(options.redis ? { redis: options.redis, skipOnError: true } : {}),
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
