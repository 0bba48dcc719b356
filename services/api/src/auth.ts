import { hashApiKey } from '@hookline/core';
import { type Db, findActiveApiKeyByHash, touchApiKey } from '@hookline/db';
import type { FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's tenant, set by `authenticate`; every query is scoped by it. */
    tenantId: string;
  }
}

const TOUCH_EVERY_MS = 60_000;

/** Bearer API-key auth: the key is looked up by its hash; revoked keys never pass. */
export function authenticator(db: Db) {
  return async function authenticate(request: FastifyRequest) {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw new ApiError(401, 'unauthorized', 'missing Authorization: Bearer <api key>');
    const key = await findActiveApiKeyByHash(db, hashApiKey(match[1] as string));
    if (!key) throw new ApiError(401, 'unauthorized', 'invalid or revoked API key');
    request.tenantId = key.tenant_id;
    if (!key.last_used_at || Date.now() - key.last_used_at.getTime() > TOUCH_EVERY_MS) {
      touchApiKey(db, key.id).catch((err) => request.log.warn({ err: (err as Error).message }, 'could not record API key use'));
    }
  };
}
