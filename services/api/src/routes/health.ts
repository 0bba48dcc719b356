import { pingDatabase } from '@hookline/db';
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.ts';

/** `/healthz`: the process is up. `/readyz`: it can reach its database and queue. */
export async function healthRoutes(app: FastifyInstance, deps: Pick<ApiDeps, 'db' | 'queue'>) {
  const health = { tags: ['health'], security: [] };
  app.get('/healthz', { schema: { ...health, summary: 'The process is up' } }, async () => ({ ok: true }));
  app.get(
    '/readyz',
    { schema: { ...health, summary: 'The database and queue are reachable (503 naming what is not)' } },
    async (_request, reply) => {
      const checks = await Promise.allSettled([pingDatabase(deps.db), deps.queue.ping()]);
      const [database, queue] = checks.map((c) => (c.status === 'fulfilled' ? 'ok' : `unavailable: ${(c.reason as Error).message}`));
      const ready = checks.every((c) => c.status === 'fulfilled');
      return reply.code(ready ? 200 : 503).send({ ok: ready, database, queue });
    },
  );
}
