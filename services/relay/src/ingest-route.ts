// The route schema's OpenAPI fields (tags, summary) are declared by @fastify/swagger's types.
import type {} from '@fastify/swagger';
import * as metrics from '@hookline/metrics';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type BodyLimits, type IngestBody, readIngestBody } from './body-reader.ts';
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
    case 'too_deep':
      return reply.code(400).send({ error: { code: 'too_deep', message: outcome.detail } });
    case 'too_large':
      return reply.code(413).send({ error: { code: 'too_large', message: outcome.detail } });
    case 'rate_limited':
      return reply
        .code(429)
        .header('retry-after', String(outcome.retryAfterSeconds))
        .send({ error: { code: 'rate_limited', message: outcome.detail } });
    case 'over_budget':
      // 507 Insufficient Storage: the provider retries later, when retention has freed space.
      return reply.code(507).send({ error: { code: 'storage_budget_exceeded', message: outcome.detail } });
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
  opts: {
    ingestor: Ingestor;
    maxBodyBytes: number;
    /** How much of an oversize body to keep for the request log's excerpt. */
    rejectedBodyExcerptBytes?: number;
    limit?: (app: FastifyInstance) => Promise<void>;
  },
) {
  // An oversize body is drained to learn its size: up to 8 times the limit more, for at most
  // 5 s; past either, the log says "more than N bytes" and the connection closes.
  const bodyLimits: BodyLimits = {
    maxBytes: opts.maxBodyBytes,
    headBytes: opts.rejectedBodyExcerptBytes ?? 0,
    drainBytes: 8 * opts.maxBodyBytes,
    drainMs: 5_000,
  };
  // Per-source budget, so one flooded source cannot starve the others.
  await opts.limit?.(app);
  app.addHook('onClose', async () => {
    await opts.ingestor.close();
  });
  // The body is verified byte for byte, so no parser may touch it; read here rather than
  // with fastify's bodyLimit so that an oversize chunked body is logged with its real size.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (request, payload, done) => {
    const declared = request.headers['content-length'];
    readIngestBody(payload, declared === undefined ? undefined : Number(declared), bodyLimits).then(
      (body) => done(null, body),
      (err: Error) => done(err),
    );
  });

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
        '200 {id, duplicate} once stored; 401 verification failed; 404 unknown source; 400 unparsable or too_deep; 413 too large; ' +
        '429 rate limited; 507 storage_budget_exceeded; 503 storage unavailable.',
      security: [],
      params: paramsSchema,
    },
    handler: async (request, reply) => {
      const body = (request.body as IngestBody | undefined) ?? { kind: 'whole', bytes: Buffer.alloc(0) };
      // A body left partly unread cannot be followed by another request on this connection.
      if (body.kind === 'too_large' && body.unread) reply.header('connection', 'close');
      const outcome = await opts.ingestor.ingest({
        ingestKey: request.params.source_key,
        method: request.method,
        headers: headerMap(request),
        body,
        remoteIp: request.ip,
        receivedAt: new Date(),
      });
      return send(reply, outcome);
    },
    errorHandler: async (error, request, reply) => {
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      // Refused before ingest saw it: no source looked up, so no provider.
      metrics.ingestRequests.inc({
        outcome: status === 429 ? 'rate_limited' : status >= 500 ? 'error' : 'bad_request',
        provider: 'unknown',
      });
      if (status === 429) {
        // A source's rate limit refused it before ingest: counted, not stored.
        opts.ingestor.countRateLimited((request.params as { source_key: string }).source_key, request.ip);
      }
      if (status >= 500) request.log.error({ err: error }, 'ingest failed');
      const code = status >= 500 ? 'internal' : status === 429 ? 'rate_limited' : 'bad_request';
      return reply.code(status).send({ error: { code, message: status >= 500 ? 'internal error' : error.message } });
    },
  });
}
