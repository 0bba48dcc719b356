import { hashApiKey } from '@hookline/core';
import { type Db, findActiveApiKeyByHash, findSessionByTokenHash, touchApiKey } from '@hookline/db';
import type { FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's tenant, set by `authenticate`; every query is scoped by it. */
    tenantId: string;
    /** How the caller proved who it is. */
    authMethod: 'api_key' | 'session';
    /** The logged-in user and their session's token hash, for session callers only (API keys belong to the tenant). */
    session?: { userId: string; tokenHash: string };
  }
}

export const SESSION_COOKIE = 'hookline_session';
/** Browsers cannot send a custom header cross-origin without a CORS preflight, which this API never grants. */
export const CSRF_HEADER = 'x-hookline-csrf';

const TOUCH_EVERY_MS = 60_000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Authenticates by `Authorization: Bearer <api key>` or, for the web UI, the session
 * cookie (parsed by @fastify/cookie, registered with the routes). Cookie-authenticated writes must also carry the CSRF header, so another site
 * cannot make a logged-in browser change anything.
 */
export function authenticator(db: Db) {
  return async function authenticate(request: FastifyRequest) {
    const header = request.headers.authorization;
    if (header) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      const key = match ? await findActiveApiKeyByHash(db, hashApiKey(match[1] as string)) : undefined;
      if (!key) throw new ApiError(401, 'unauthorized', 'invalid or revoked API key');
      request.tenantId = key.tenant_id;
      request.authMethod = 'api_key';
      if (!key.last_used_at || Date.now() - key.last_used_at.getTime() > TOUCH_EVERY_MS) {
        touchApiKey(db, key.id).catch((err) => request.log.warn({ err: (err as Error).message }, 'could not record API key use'));
      }
      return;
    }
    const token = request.cookies[SESSION_COOKIE];
    const tokenHash = token ? hashApiKey(token) : undefined;
    const session = tokenHash ? await findSessionByTokenHash(db, tokenHash) : undefined;
    if (!session) throw new ApiError(401, 'unauthorized', 'missing Authorization: Bearer <api key> (or a session cookie)');
    if (!SAFE_METHODS.has(request.method) && request.headers[CSRF_HEADER] !== '1') {
      throw new ApiError(403, 'csrf', `cookie-authenticated writes need the ${CSRF_HEADER}: 1 header`);
    }
    request.tenantId = session.tenant_id;
    request.authMethod = 'session';
    request.session = { userId: session.user_id, tokenHash: tokenHash as string };
  };
}
