import cookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import { authenticator } from './auth.ts';
import type { ApiDeps } from './deps.ts';
import { limitRequests, perCaller } from './rate-limits.ts';
import { accountRoutes } from './routes/account.ts';
import { alertRoutes } from './routes/alerts.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { deadLetterRoutes } from './routes/dead-letters.ts';
import { destinationRoutes } from './routes/destinations.ts';
import { eventRoutes } from './routes/events.ts';
import { inviteRoutes } from './routes/invites.ts';
import { replayRoutes } from './routes/replays.ts';
import { requestRoutes } from './routes/requests.ts';
import { ruleRoutes } from './routes/rules.ts';
import { sessionRoutes } from './routes/sessions.ts';
import { signupRoutes } from './routes/signup.ts';
import { sourceRoutes } from './routes/sources.ts';
import { statsRoutes } from './routes/stats.ts';
import { streamRoutes } from './routes/stream.ts';

/** The tenant API under /v1. Signup (unless closed) and login are open; everything else needs an API key. */
export async function apiRoutes(app: FastifyInstance, deps: ApiDeps) {
  const { perMinute, redis, nameSpace } = deps.rateLimit;
  // request.cookies (the web UI's session) and reply.setCookie for every route below.
  await app.register(cookie);
  // Signup and login are open: a small budget per address slows password guessing.
  await app.register(async (open) => {
    await limitRequests(open, { max: 30, key: (r) => `ip:${r.ip}`, redis, nameSpace: `${nameSpace}open:` });
    await open.register(signupRoutes, deps);
    await open.register(sessionRoutes, deps);
  });
  await app.register(async (authed) => {
    authed.addHook('onRequest', authenticator(deps.db));
    await limitRequests(authed, { max: perMinute, key: perCaller, redis, nameSpace: `${nameSpace}api:` });
    await authed.register(apiKeyRoutes, deps);
    await authed.register(inviteRoutes, deps);
    await authed.register(accountRoutes, deps);
    await authed.register(sourceRoutes, deps);
    await authed.register(destinationRoutes, deps);
    await authed.register(eventRoutes, deps);
    await authed.register(requestRoutes, deps);
    await authed.register(ruleRoutes, deps);
    await authed.register(replayRoutes, deps);
    await authed.register(deadLetterRoutes, deps);
    await authed.register(statsRoutes, deps);
    await authed.register(streamRoutes, deps);
    await authed.register(alertRoutes, deps);
  });
}
