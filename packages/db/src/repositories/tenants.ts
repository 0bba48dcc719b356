import type { Db } from '../database.ts';

export async function insertTenantWithUser(
  db: Db,
  tenant: { id: string; name: string },
  user: { id: string; email: string; password_hash: string },
) {
  return db.transaction().execute(async (trx) => {
    await trx.insertInto('tenants').values(tenant).execute();
    await trx
      .insertInto('users')
      .values({ ...user, tenant_id: tenant.id })
      .execute();
  });
}

export function findUserByEmail(db: Db, email: string) {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

export function findTenant(db: Db, id: string) {
  return db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
}
