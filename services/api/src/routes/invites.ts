import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../deps.ts';
import { Timestamp } from '../schemas.ts';
import { createInvite } from '../tenants.ts';

/** Invites: how new tenants join while HOOKLINE_SIGNUP=closed (they work while open too). */
export const inviteRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, deps) => {
  app.post(
    '/v1/invites',
    {
      schema: {
        tags: ['invites'],
        summary: 'Create a one-use invite for a new tenant to sign up (valid 7 days; the token is shown only in this answer)',
        response: {
          201: Type.Object({
            token: Type.String({ description: 'Pass as `invite` to POST /v1/signup' }),
            url: Type.String({ description: "The web UI's signup page with the token filled in" }),
            expires_at: Timestamp,
          }),
        },
      },
    },
    async (request, reply) => {
      const invite = await createInvite(deps.db, { tenantId: request.tenantId, publicUrl: deps.publicUrl });
      return reply.code(201).send(invite);
    },
  );
};
