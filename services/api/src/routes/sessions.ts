import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { hashApiKey, newId, randomToken, verifyPassword } from '@hookline/core';
import { deleteSession, findTenant, findUserByEmail, insertSession } from '@hookline/db';
import { Type } from '@sinclair/typebox';
import { SESSION_COOKIE } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { admitPasswordCheck, passwordCheckSucceeded } from '../login-throttle.ts';
import { ErrorBody } from '../schemas.ts';

const SESSION_TTL_S = 14 * 24 * 3600;

// A fixed hash to verify against when the email is unknown, so a login takes as long for
// an unknown email as for a wrong password.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** The session cookie: never readable by scripts, never sent cross-site, Secure behind https. */
function cookieOptions(deps: ApiDeps, maxAge: number): CookieSerializeOptions {
  return { path: '/', httpOnly: true, sameSite: 'strict', maxAge, secure: deps.publicUrl.startsWith('https:') };
}

const Login = Type.Object(
  { email: Type.String({ maxLength: 254 }), password: Type.String({ maxLength: 200 }) },
  { additionalProperties: false },
);
const SessionView = Type.Object({
  user: Type.Object({ id: Type.String(), email: Type.String() }),
  tenant: Type.Object({ id: Type.String(), name: Type.String() }),
  expires_at: Type.String({ format: 'date-time' }),
});

/** The web UI's login: an http-only, SameSite=Strict session cookie. */
export const sessionRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, deps) => {
  app.post(
    '/v1/sessions',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Log in (sets the session cookie)',
        description:
          'Ten wrong passwords for one account within an hour lock it (429 with Retry-After) for a minute, doubling with each further one up to 30 minutes; a right password resets the count.',
        body: Login,
        response: { 201: SessionView, 401: ErrorBody, 429: ErrorBody },
      },
    },
    async (request, reply) => {
      const email = request.body.email.toLowerCase();
      await admitPasswordCheck(deps.db, email, reply);
      const user = await findUserByEmail(deps.db, email);
      const ok = await verifyPassword(request.body.password, user?.password_hash ?? DUMMY_HASH);
      if (!user || !ok) throw new ApiError(401, 'invalid_credentials', 'wrong email or password');
      await passwordCheckSucceeded(deps.db, email);
      const tenant = await findTenant(deps.db, user.tenant_id);
      const token = randomToken(32);
      const expiresAt = new Date(Date.now() + SESSION_TTL_S * 1000);
      await insertSession(deps.db, {
        id: newId('session'),
        tenant_id: user.tenant_id,
        user_id: user.id,
        token_hash: hashApiKey(token),
        expires_at: expiresAt,
      });
      reply.setCookie(SESSION_COOKIE, token, cookieOptions(deps, SESSION_TTL_S));
      return reply.code(201).send({
        user: { id: user.id, email: user.email },
        tenant: { id: user.tenant_id, name: tenant?.name ?? '' },
        expires_at: expiresAt.toISOString(),
      });
    },
  );

  app.delete(
    '/v1/sessions/current',
    { schema: { tags: ['sessions'], summary: 'Log out', response: { 204: Type.Null() } } },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) await deleteSession(deps.db, hashApiKey(token));
      reply.clearCookie(SESSION_COOKIE, cookieOptions(deps, 0));
      return reply.code(204).send(null);
    },
  );
};
