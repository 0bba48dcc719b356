import type { FastifyInstance } from 'fastify';

/**
 * Headers for every response: JSON and event streams are never to be sniffed, framed or
 * given a referrer. The web UI (served from this process) sets its own CSP for its pages.
 */
export function installSecurityHeaders(app: FastifyInstance, options: { https: boolean }) {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cross-origin-resource-policy', 'same-origin');
    if (!reply.hasHeader('content-security-policy')) {
      reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
    }
    if (options.https) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
  });
}
