import { pingDatabase } from '@hookline/db';
import { renderMetrics } from '@hookline/metrics';
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.ts';

export interface HealthOptions extends Pick<ApiDeps, 'db' | 'queue'> {
  /**
   * Whether this process is unready without its queue. Only the worker needs it: ingest
   * stores first and leaves enqueueing to the sweeper when Redis is away, and the API only
   * schedules retries the same way. The queue's state is reported either way. Default true.
   */
  needsQueue?: boolean;
  /** How long a check may take before it counts as unreachable. */
  timeoutMs?: number;
}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * `/healthz`: the process is up. `/readyz`: it can reach what its roles need (the database;
 * the queue too for a worker). `/metrics`: Prometheus text format.
 */
export async function healthRoutes(app: FastifyInstance, opts: HealthOptions) {
  const health = { tags: ['health'], security: [] };
  const timeoutMs = opts.timeoutMs ?? 2_000;
  app.get('/healthz', { schema: { ...health, summary: 'The process is up' } }, async () => ({ ok: true }));
  app.get(
    '/readyz',
    {
      schema: {
        ...health,
        summary: "The database (and a worker's queue) are reachable (503 naming what is not)",
        description:
          'Every role needs the database; only a worker needs the queue (ingest and the API keep working without Redis). ' +
          'The queue is reported either way.',
      },
    },
    async (_request, reply) => {
      const checks = await Promise.allSettled([within(pingDatabase(opts.db), timeoutMs), within(opts.queue.ping(), timeoutMs)]);
      const [database, queue] = checks.map((c) => (c.status === 'fulfilled' ? 'ok' : `unavailable: ${(c.reason as Error).message}`));
      const ready = checks[0]?.status === 'fulfilled' && (opts.needsQueue === false || checks[1]?.status === 'fulfilled');
      return reply.code(ready ? 200 : 503).send({ ok: ready, database, queue });
    },
  );
  app.get('/metrics', { schema: { ...health, summary: 'Prometheus metrics (text format)' } }, async (_request, reply) => {
    const { contentType, body } = await renderMetrics();
    return reply.type(contentType).send(body);
  });
}
