import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { hashPassword, verifyPassword } from '@hookline/core';
import { changePassword, findUser } from '@hookline/db';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { admitPasswordCheck, passwordCheckSucceeded } from '../login-throttle.ts';
import { checkPassword } from '../password-policy.ts';
import { ErrorBody } from '../schemas.ts';

const PasswordChange = Type.Object(
  { current_password: Type.String({ maxLength: 200 }), new_password: Type.String({ maxLength: 200 }) },
  { additionalProperties: false },
);

/** The logged-in user's own account. */
export const accountRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, deps) => {
  app.post(
    '/v1/password',
    {
      schema: {
        tags: ['sessions'],
        summary: "Change the logged-in user's password (ends their other sessions)",
        description:
          'Needs a web session (the cookie from POST /v1/sessions): a password belongs to a user, an API key to the workspace. ' +
          'A wrong current_password counts toward the account lockout, as a failed login does.',
        body: PasswordChange,
        response: {
          200: Type.Object({ other_sessions_ended: Type.Integer({ description: "The user's other sessions, now logged out" }) }),
          400: ErrorBody,
          403: ErrorBody,
          429: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const session = request.session;
      if (!session) {
        throw new ApiError(403, 'session_required', 'changing the password needs a web session (POST /v1/sessions), not an API key');
      }
      const user = await findUser(deps.db, session.userId);
      if (!user) throw new ApiError(403, 'session_required', 'this session has no user');
      const { current_password, new_password } = request.body;
      checkPassword(new_password, user.email);
      if (new_password === current_password) throw new ApiError(400, 'weak_password', 'new password must differ from the current one');
      await admitPasswordCheck(deps.db, user.email, reply);
      if (!(await verifyPassword(current_password, user.password_hash))) {
        throw new ApiError(400, 'wrong_password', 'current password is wrong');
      }
      await passwordCheckSucceeded(deps.db, user.email);
      const ended = await changePassword(deps.db, user.id, await hashPassword(new_password), session.tokenHash);
      return { other_sessions_ended: ended };
    },
  );
};
