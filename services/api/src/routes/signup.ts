import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { hashApiKey, hashPassword, newId, randomToken } from '@hookline/core';
import { insertApiKey, insertTenantWithUser } from '@hookline/db';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { checkPassword } from '../password-policy.ts';
import { ErrorBody } from '../schemas.ts';

/** A new API key: `hk_` + 192 random bits. Only its hash is stored. */
export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = `hk_${randomToken(24)}`;
  return { key, prefix: key.slice(0, 10), hash: hashApiKey(key) };
}

const SignupBody = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254 }),
    password: Type.String({ maxLength: 200 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
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
          409: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { email, password, name } = request.body;
      checkPassword(password, email);
      const tenant = { id: newId('tenant'), name };
      const user = { id: newId('user'), email: email.toLowerCase(), password_hash: await hashPassword(password) };
      try {
        await insertTenantWithUser(deps.db, tenant, user);
      } catch (err) {
        if ((err as { code?: string }).code === '23505') throw new ApiError(409, 'email_taken', 'an account with this email exists');
        throw err;
      }
      const apiKey = generateApiKey();
      const stored = await insertApiKey(deps.db, {
        id: newId('apiKey'),
        tenant_id: tenant.id,
        name: 'default',
        prefix: apiKey.prefix,
        key_hash: apiKey.hash,
      });
      return reply.code(201).send({
        tenant: { id: tenant.id, name },
        user: { id: user.id, email: user.email },
        api_key: apiKey.key,
        api_key_id: stored.id,
      });
    },
  );
};
