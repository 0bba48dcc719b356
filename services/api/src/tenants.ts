import { hashApiKey, hashPassword, newId, randomToken } from '@hookline/core';
import { type Db, InviteUnusableError, insertApiKey, insertInvite, insertTenantWithUser, insertTenantWithUserByInvite } from '@hookline/db';
import { ApiError } from './errors.ts';
import { checkPassword } from './password-policy.ts';

/** A new API key: `hk_` + 192 random bits. Only its hash is stored. */
export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = `hk_${randomToken(24)}`;
  return { key, prefix: key.slice(0, 10), hash: hashApiKey(key) };
}

export interface CreatedTenant {
  tenant: { id: string; name: string };
  user: { id: string; email: string };
  api_key: string;
  api_key_id: string;
}

/**
 * A tenant, its first user and an API key (returned once): what signup and the admin command
 * create. With `inviteToken` the invite is spent in the same transaction. Throws ApiError
 * (the password policy, a taken email, an unusable invite).
 */
export async function createTenant(
  db: Db,
  input: { email: string; password: string; name: string; inviteToken?: string | undefined },
): Promise<CreatedTenant> {
  checkPassword(input.password, input.email);
  const tenant = { id: newId('tenant'), name: input.name };
  const user = { id: newId('user'), email: input.email.toLowerCase(), password_hash: await hashPassword(input.password) };
  try {
    if (input.inviteToken === undefined) await insertTenantWithUser(db, tenant, user);
    else await insertTenantWithUserByInvite(db, hashApiKey(input.inviteToken), tenant, user);
  } catch (err) {
    if (err instanceof InviteUnusableError) throw new ApiError(403, 'invite_invalid', err.message);
    if ((err as { code?: string }).code === '23505') throw new ApiError(409, 'email_taken', 'an account with this email exists');
    throw err;
  }
  const apiKey = generateApiKey();
  const stored = await insertApiKey(db, {
    id: newId('apiKey'),
    tenant_id: tenant.id,
    name: 'default',
    prefix: apiKey.prefix,
    key_hash: apiKey.hash,
  });
  return { tenant, user: { id: user.id, email: user.email }, api_key: apiKey.key, api_key_id: stored.id };
}

/** How long an invite can be used. */
export const INVITE_TTL_MS = 7 * 86_400_000;

/**
 * A one-use invite to sign up a new tenant (also while signup is closed): `inv_` + 192 random
 * bits, stored as a SHA-256; the URL opens the web UI's signup page with it filled in.
 */
export async function createInvite(db: Db, options: { tenantId: string | null; publicUrl: string; ttlMs?: number }) {
  const token = `inv_${randomToken(24)}`;
  const row = await insertInvite(db, {
    token_hash: hashApiKey(token),
    tenant_id: options.tenantId,
    expires_at: new Date(Date.now() + (options.ttlMs ?? INVITE_TTL_MS)),
  });
  return { token, url: `${options.publicUrl}/#/signup?invite=${token}`, expires_at: row.expires_at.toISOString() };
}
