import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { hashIngestKey, isId, newId, randomToken } from '@hookline/core';
import { deleteSource, getSource, insertSource, listSources, type Source, sourceActivity, updateSource } from '@hookline/db';
import { PROVIDERS, type Provider } from '@hookline/providers';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../deps.ts';
import { ApiError, notFound } from '../errors.ts';
import { ErrorBody, IdParams, ListOf, ListQuery, Nullable, Timestamp } from '../schemas.ts';
import { sourceView } from '../serializers.ts';

export const SourceSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  provider: Type.String(),
  ingest_url: Type.String({ description: "Paste this into the provider's webhook settings" }),
  awaiting_secret: Type.Boolean({ description: 'True until the provider secret is set; requests are rejected until then' }),
  verification_options: Type.Record(Type.String(), Type.Unknown(), {
    description: "The provider's verification options other than the secret (a generic HMAC source's header, algorithm…)",
  }),
  secret_rotation_expires_at: Nullable(Timestamp),
  alert_silent_after_seconds: Nullable(
    Type.Integer({ description: "source.silent alert: this source's period without events (0: off; null: the tenant's default)" }),
  ),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const SourceWithActivity = Type.Intersect([SourceSchema, Type.Object({ event_count: Type.Integer(), last_event_at: Nullable(Timestamp) })]);

// `secret`, plus whatever options the provider takes (Provider.parseSettings).
const Verification = Type.Object(
  { secret: Type.String({ minLength: 1, maxLength: 1000, description: "The provider's webhook signing secret" }) },
  { additionalProperties: true, maxProperties: 20 },
);

const CreateSource = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    provider: Type.String({ minLength: 1, maxLength: 50 }),
    // Optional: the source can exist before the provider shows its secret (Mux does once the
    // URL is saved); requests are rejected until PATCH sets it.
    verification: Type.Optional(Verification),
  },
  { additionalProperties: false },
);

const UpdateSource = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    verification: Type.Optional(Verification),
    grace_period_seconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 7 * 86400,
        description: 'How long the previous secret stays valid after a rotation (default 24 h)',
      }),
    ),
    alert_silent_after_seconds: Type.Optional(
      Nullable(
        Type.Integer({
          minimum: 0,
          maximum: 365 * 86400,
          description: "source.silent alert: this source's period without events (0: off; null: the tenant's default)",
        }),
      ),
    ),
  },
  { additionalProperties: false },
);

const DEFAULT_GRACE_S = 24 * 3600;

/** A provider's verification options (everything in `verification` but the secret), validated. */
function parseSettings(provider: Provider, options: Record<string, unknown>): Record<string, unknown> {
  if (provider.parseSettings) {
    try {
      return provider.parseSettings(options);
    } catch (err) {
      throw new ApiError(400, 'invalid_verification', (err as Error).message);
    }
  }
  if (Object.keys(options).length > 0) {
    throw new ApiError(400, 'invalid_verification', `${provider.displayName} sources take only verification.secret`);
  }
  return {};
}

export const sourceRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, deps) => {
  // The database keeps the ingest key's hash (for ingest's lookup) and a sealed copy, opened
  // here only to show the tenant its own URL.
  const view = (source: Source) => sourceView(source, `${deps.publicUrl}/in/${deps.secrets.open(source.ingest_key_sealed)}`);
  const find = async (tenantId: string, id: string): Promise<Source> => {
    const source = isId('source', id) ? await getSource(deps.db, tenantId, id) : undefined;
    if (!source) throw notFound('source');
    return source;
  };

  app.post(
    '/v1/sources',
    {
      schema: {
        tags: ['sources'],
        summary: 'Create a source for one provider',
        body: CreateSource,
        response: { 201: SourceSchema, 400: ErrorBody },
      },
    },
    async (request, reply) => {
      const { name, provider, verification } = request.body;
      const impl = PROVIDERS.get(provider);
      if (!impl) {
        throw new ApiError(400, 'unknown_provider', `unknown provider "${provider}"; use one of ${[...PROVIDERS.keys()].join(', ')}`);
      }
      // A source may be created before its secret, but never without the options its
      // provider needs (a generic HMAC source's header and algorithm).
      const { secret = null, ...options } = verification ?? {};
      const settings = parseSettings(impl, options);
      const ingestKey = randomToken(24);
      const source = await insertSource(deps.db, {
        id: newId('source'),
        tenant_id: request.tenantId,
        name,
        provider,
        ingest_key_hash: hashIngestKey(ingestKey),
        ingest_key_sealed: deps.secrets.seal(ingestKey),
        secret_sealed: secret === null ? null : deps.secrets.seal(secret),
        settings: JSON.stringify(settings),
      });
      return reply.code(201).send(view(source));
    },
  );

  app.get(
    '/v1/sources',
    {
      schema: {
        tags: ['sources'],
        summary: 'List sources with their activity',
        querystring: Type.Object(ListQuery),
        response: { 200: ListOf(SourceWithActivity) },
      },
    },
    async (request) => {
      const page = await listSources(deps.db, request.tenantId, { limit: request.query.limit ?? 20, cursor: request.query.cursor });
      const activity = await sourceActivity(
        deps.db,
        request.tenantId,
        page.data.map((s) => s.id),
      );
      return {
        data: page.data.map((s) => {
          const a = activity.find((x) => x.source_id === s.id);
          return {
            ...view(s),
            event_count: Number(a?.event_count ?? 0),
            last_event_at: a?.last_event_at ? new Date(a.last_event_at).toISOString() : null,
          };
        }),
        next_cursor: page.next_cursor,
      };
    },
  );

  app.get(
    '/v1/sources/:id',
    { schema: { tags: ['sources'], summary: 'Read a source', params: IdParams, response: { 200: SourceSchema, 404: ErrorBody } } },
    async (request) => view(await find(request.tenantId, request.params.id)),
  );

  app.patch(
    '/v1/sources/:id',
    {
      schema: {
        tags: ['sources'],
        summary: 'Rename a source, or rotate its provider secret (the previous one stays valid for the grace period)',
        params: IdParams,
        body: UpdateSource,
        response: { 200: SourceSchema, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const source = await find(request.tenantId, request.params.id);
      const { name, verification, grace_period_seconds, alert_silent_after_seconds } = request.body;
      const changes: Parameters<typeof updateSource>[3] = {};
      if (name !== undefined) changes.name = name;
      if (alert_silent_after_seconds !== undefined) changes.alert_silent_after_seconds = alert_silent_after_seconds;
      if (verification) {
        const { secret, ...options } = verification;
        // A new secret alone keeps the source's options; new options replace them whole.
        if (Object.keys(options).length > 0) {
          changes.settings = JSON.stringify(parseSettings(PROVIDERS.get(source.provider) as Provider, options));
        }
        // No grace period for a source that had no secret: there is nothing to keep valid.
        const grace = source.secret_sealed ? (grace_period_seconds ?? DEFAULT_GRACE_S) : 0;
        changes.secret_sealed = deps.secrets.seal(secret);
        changes.previous_secret_sealed = grace > 0 ? source.secret_sealed : null;
        changes.previous_secret_expires_at = grace > 0 ? new Date(Date.now() + grace * 1000) : null;
      }
      const updated = await updateSource(deps.db, request.tenantId, source.id, changes);
      if (!updated) throw notFound('source');
      return view(updated);
    },
  );

  app.delete(
    '/v1/sources/:id',
    {
      schema: {
        tags: ['sources'],
        summary: 'Delete a source with its destinations, requests, events and deliveries',
        params: IdParams,
        response: { 204: Type.Null(), 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!isId('source', id) || !(await deleteSource(deps.db, request.tenantId, id))) throw notFound('source');
      return reply.code(204).send(null);
    },
  );
};
