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
