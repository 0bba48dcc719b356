/**
 * Starts the hot path's big statements (a batch's ingest, its claim, its attempt records):
 * each connection runs them as named statements, parsed once (database.ts
 * prepareMarkedStatements on PostgreSQL, pglite-thread.ts on PGlite).
 */
export const PREPARED = '/* prepared */';

/**
 * The names one connection runs its PREPARED statements under. A generic plan is kept until
 * an ANALYZE of its tables, and autovacuum looks at a database once a minute (PGlite's never):
 * a plan made while a new install's tables were nearly empty would go on scanning them whole
 * as they grow. So each statement gets a new name, to be parsed and planned again, after 50
 * runs, then 100, 200, …: the plans follow the tables while they are young, and later cost
 * one planning in thousands of runs.
 */
export class PreparedNames {
  readonly #statements = new Map<string, { name: string; runs: number; replanAt: number }>();
  #named = 0;

  /** The name to run `text` under; `replaces`: the name it ran under until now, if it just changed. */
  next(text: string): { name: string; replaces?: string } {
    const statement = this.#statements.get(text);
    if (!statement) {
      const name = `hookline_${this.#named++}`;
      this.#statements.set(text, { name, runs: 0, replanAt: 50 });
      return { name };
    }
    if (++statement.runs < statement.replanAt) return { name: statement.name };
    const replaces = statement.name;
    statement.name = `hookline_${this.#named++}`;
    statement.replanAt *= 2;
    return { name: statement.name, replaces };
  }
}
