// Fills a Hookline database with history before a run, to show that cost does not grow
// with it. Schema-agnostic on purpose: it takes one event that went through the real
// pipeline (request, event, deliveries, attempts, stream entries…) and clones every row
// that mentions it, `count` times, giving each clone fresh well-formed ids. A migration
// that adds a table or column needs no change here.

type Query = (text: string, params?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

/** Rows that mention the seed event in any text column are cloned; ids keep their prefix and ULID time. */
export async function cloneHistory(query: Query, providerEventId: string, count: number): Promise<void> {
  const seed = (await query('select id, request_id from events where provider_event_id = $1', [providerEventId])).rows[0];
  if (!seed) throw new Error(`preload: no event with provider id ${providerEventId}`);
  // The receiver sees a delivery before its attempt is recorded: wait for the record, so
  // every row that mentions the seed is known before cloning starts.
  for (let i = 0; i < 100; i++) {
    const recorded = await query("select 1 from deliveries where event_id = $1 and status = 'succeeded'", [seed.id]);
    if (recorded.rows.length > 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const ids = [seed.id as string, seed.request_id as string];
  for (const table of ['deliveries', 'attempts']) {
    const found = await query(`select id from ${table} where event_id = $1`, [seed.id]);
    ids.push(...found.rows.map((r) => r.id as string));
  }
  const tables = (
    await query(`select table_name from information_schema.tables
                 where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not like 'kysely%'`)
  ).rows.map((r) => r.table_name as string);

  const chunk = 100_000;
  for (const table of tables) {
    const columns = (
      await query(
        `select column_name, data_type, column_default from information_schema.columns
         where table_schema = 'public' and table_name = $1 order by ordinal_position`,
        [table],
      )
    ).rows;
    const text = columns.filter((c) => c.data_type === 'text').map((c) => `"${c.column_name}"`);
    if (text.length === 0) continue;
    // Serial columns (stream sequence numbers) take fresh values from their defaults.
    const copied = columns.filter((c) => !String(c.column_default ?? '').startsWith('nextval('));
    const select = copied.map((c) => {
      const name = `"${c.column_name}"`;
      if (c.data_type !== 'text') return name;
      return `case when ${name} = any($1::text[]) then left(${name}, 14) || lpad(upper(to_hex(g)), 16, '0')
                   when ${name} = $2 then ${name} || '-p' || g
                   else ${name} end`;
    });
    const mentions = text.map((name) => `${name} = any($1::text[]) or ${name} = $2`).join(' or ');
    for (let from = 1; from <= count; from += chunk) {
      const to = Math.min(count, from + chunk - 1);
      await query(
        `insert into ${table} (${copied.map((c) => `"${c.column_name}"`).join(', ')})
         select ${select.join(', ')} from ${table} cross join generate_series(${from}::int, ${to}::int) g where ${mentions}`,
        [ids, providerEventId],
      );
    }
  }
  await settle(query);
}

/** Vacuums, analyzes and checkpoints, so the run that follows does not pay for the load. */
export async function settle(query: Query): Promise<void> {
  await query('vacuum analyze');
  await query('checkpoint');
}
