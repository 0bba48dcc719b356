import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

/**
 * Route schemas are the source of truth: @fastify/swagger collects them into an OpenAPI 3.1
 * document served at /openapi.json. Register before any route.
 */
export async function registerOpenApi(app: FastifyInstance, options: { publicUrl?: string } = {}) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Hookline API',
        version: '1.0.0',
        description:
          'The tenant API of Hookline, a relay for incoming webhooks. Authenticate with `Authorization: Bearer <api key>`; ' +
          'errors are `{"error":{"code","message"}}`; lists are `{"data":[…],"next_cursor"}`, newest first.',
      },
      ...(options.publicUrl ? { servers: [{ url: options.publicUrl }] } : {}),
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (hk_…)' } } },
      security: [{ apiKey: [] }],
      tags: [
        { name: 'ingest', description: 'Where providers send webhooks' },
        { name: 'signup' },
        { name: 'sessions', description: "The web UI's login" },
        { name: 'api-keys' },
        { name: 'sources', description: 'One per provider account' },
        { name: 'destinations', description: 'Where events are forwarded' },
        { name: 'events', description: 'Normalized events, their deliveries and attempts' },
        { name: 'requests', description: 'Every ingest request, rejected ones included' },
        { name: 'replays', description: 'Bulk redelivery as asynchronous jobs with progress and cancel' },
        { name: 'dead-letters', description: 'Deliveries that spent their retry schedule' },
        { name: 'stream', description: 'Live Server-Sent Events' },
        { name: 'health' },
      ],
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
