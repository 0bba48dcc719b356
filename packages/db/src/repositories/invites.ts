import type { Db } from '../database.ts';

export async function insertInvite(db: Db, invite: { token_hash: string; tenant_id: string | null; expires_at: Date }) {
  return db.insertInto('invites').values(invite).returningAll().executeTakeFirstOrThrow();
}

/** Why a tenant was not created from an invite: the token is unknown, used or expired. */
export class InviteUnusableError extends Error {
  constructor() {
    super('this invite is unknown, already used or expired');
  }
}

/**
 * Creates a tenant and its first user, spending the invite in the same transaction: a token
 * works once (two signups racing on it: one wins), and a signup that fails (email taken)
 * leaves the invite unspent. Throws InviteUnusableError when the token cannot be used.
 */
export async function insertTenantWithUserByInvite(
  db: Db,
  tokenHash: string,
  tenant: { id: string; name: string },
  user: { id: string; email: string; password_hash: string },
) {
  return db.transaction().execute(async (trx) => {
    const spent = await trx
      .updateTable('invites')
      .set({ used_at: new Date(), used_by_tenant_id: tenant.id })
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', new Date())
      .returning('token_hash')
      .executeTakeFirst();
    if (!spent) throw new InviteUnusableError();
    await trx.insertInto('tenants').values(tenant).execute();
    await trx
      .insertInto('users')
      .values({ ...user, tenant_id: tenant.id })
      .execute();
  });
}
