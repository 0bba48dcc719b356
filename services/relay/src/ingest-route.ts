import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IngestOutcome, Ingestor } from './ingestor.ts';

function headerMap(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function send(reply: FastifyReply, outcome: IngestOutcome) {
  switch (outcome.kind) {
    case 'accepted':
      return reply.code(200).send({ id: outcome.eventId, duplicate: false });
    case 'duplicate':
      return reply.code(200).send({ id: outcome.eventId, duplicate: true });
    case 'probe':
      return reply.code(200).send({ probe: true });
    case 'not_found':
      return reply.code(404).send({ error: { code: 'unknown_source', message: outcome.detail } });
    case 'verification_failed':
      return reply.code(401).send({ error: { code: 'verification_failed', message: outcome.detail } });
    case 'unparsable':
      return reply.code(400).send({ error: { code: 'unparsable', message: outcome.detail } });
    case 'too_large':
      return reply.code(413).send({ error: { code: 'too_large', message: outcome.detail } });
    case 'store_failed':
      // Only storage failure answers 5xx, so the provider retries later.
      return reply.code(503).send({ error: { code: 'storage_unavailable', message: 'the event could not be stored; retry later' } });
    default: {
      const exhaustive: never = outcome;
      throw new Error(`unhandled ingest outcome ${JSON.stringify(exhaustive)}`);
    }
  }
}

/** `POST /in/:source_key`: the raw body as bytes, whatever its content type. */
export async function ingestRoutes(
  app: FastifyInstance,
  opts: { ingestor: Ingestor; maxBodyBytes: number; limit?: (app: FastifyInstance) => Promise<void> },
) {
  // Per-source budget, so one flooded source cannot starve the others.
  await opts.limit?.(app);
  // The body is verified byte for byte, so no parser may touch it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: opts.maxBodyBytes }, (_req, body, done) => done(null, body));

  const paramsSchema = {
    type: 'object',
    properties: { source_key: { type: 'string', minLength: 1, maxLength: 200 } },
    required: ['source_key'],
  } as const;

  app.post<{ Params: { source_key: string } }>('/in/:source_key', {
    schema: {
      tags: ['ingest'],
      summary: 'Receive a webhook from a provider',
      description:
        "Providers POST here. The body is kept byte for byte and verified with the source's provider scheme. " +
        '200 {id, duplicate} once stored; 401 verification failed; 404 unknown source; 400 unparsable; 413 too large; 429 rate limited; 503 storage unavailable.',
      security: [],
      params: paramsSchema,
    },
    handler: async (request, reply) => {
      const body = (request.body as Buffer | undefined) ?? Buffer.alloc(0);
      const outcome = await opts.ingestor.ingest({
        ingestKey: request.params.source_key,
        method: request.method,
        headers: headerMap(request),
        body,
        bodyBytes: body.length,
        remoteIp: request.ip,
        receivedAt: new Date(),
      });
      return send(reply, outcome);
    },
    // Oversize bodies fail in the parser, before the handler: log them here all the same.
    errorHandler: async (error, request, reply) => {
      if ((error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        const outcome = await opts.ingestor.ingest({
          ingestKey: (request.params as { source_key: string }).source_key,
          method: request.method,
          headers: headerMap(request),
          body: null,
          bodyBytes: Number(request.headers['content-length'] ?? 0),
          remoteIp: request.ip,
          receivedAt: new Date(),
        });
        return send(reply, outcome);
      }
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      if (status >= 500) request.log.error({ err: error }, 'ingest failed');
      const code = status >= 500 ? 'internal' : status === 429 ? 'rate_limited' : 'bad_request';
      return reply.code(status).send({ error: { code, message: status >= 500 ? 'internal error' : error.message } });
    },
  });
}
