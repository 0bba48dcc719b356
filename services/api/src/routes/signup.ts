import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { ErrorBody } from '../schemas.ts';
import { createTenant } from '../tenants.ts';

export { generateApiKey } from '../tenants.ts';

const SignupBody = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254 }),
    password: Type.String({ maxLength: 200 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    invite: Type.Optional(
      Type.String({ maxLength: 100, description: 'An invite token (POST /v1/invites); required while signup is closed, spent once' }),
    ),
  },
  { additionalProperties: false },
);

export const signupRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, deps) => {
  app.post(
    '/v1/signup',
    {
      schema: {
        tags: ['signup'],
        summary: 'Create a tenant, its first user and an API key (shown once)',
        security: [],
        body: SignupBody,
        response: {
          201: Type.Object({
            tenant: Type.Object({ id: Type.String(), name: Type.String() }),
            user: Type.Object({ id: Type.String(), email: Type.String() }),
            api_key: Type.String(),
            api_key_id: Type.String(),
          }),
          400: ErrorBody,
          // signup_closed (HOOKLINE_SIGNUP=closed and no invite) or invite_invalid
          403: ErrorBody,
          409: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { email, password, name, invite } = request.body;
      if (deps.signup === 'closed' && invite === undefined) {
        throw new ApiError(403, 'signup_closed', 'signup is closed on this instance: ask for an invite');
      }
      // The password policy is checked by createTenant, before anything is written.
      const created = await createTenant(deps.db, { email, password, name, inviteToken: invite });
      return reply.code(201).send(created);
    },
  );
};
