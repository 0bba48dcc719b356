import { type SelectQueryBuilder, sql } from 'kysely';

/** Lists are newest first by id (ids are time-sortable); the cursor is the last id returned. */
export interface Page {
  limit: number;
  cursor?: string | undefined;
}

/** Fetch one extra row to know whether another page exists. */
export function pageOf<T extends { id: string }>(rows: T[], limit: number): { data: T[]; next_cursor: string | null } {
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return { data, next_cursor: rows.length > limit && last ? last.id : null };
}

/**
 * One page of a filtered query, newest first: the rows after the cursor, ordered by id
 * descending, one more than the limit (pageOf). `column` names the id where the query joins
 * tables (`events.id`).
 */
export async function pageByIdDesc<DB, TB extends keyof DB, O extends { id: string }>(
  query: SelectQueryBuilder<DB, TB, O>,
  page: Page,
  column = 'id',
): Promise<{ data: O[]; next_cursor: string | null }> {
  const id = sql.ref(column);
  const after = page.cursor ? query.where(sql<boolean>`${id} < ${page.cursor}`) : query;
  return pageOf(
    await after
      .orderBy(id, 'desc')
      .limit(page.limit + 1)
      .execute(),
    page.limit,
  );
}
