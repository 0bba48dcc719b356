import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** The machine's PostgreSQL server; tests only create and drop their own databases on it. */
export const TEST_PG_URL = process.env.HOOKLINE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.HOOKLINE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/**
 * The migrated template that test databases are cloned from: one per test run (the global
 * setup names it after its process), so two runs on one server, say a developer's and CI's,
 * never migrate each other's template.
 */
export function templateDbName(): string {
  const name = process.env.HOOKLINE_TEST_TEMPLATE;
  if (!name) throw new Error('HOOKLINE_TEST_TEMPLATE is unset: run the tests through vitest (its global setup makes the template)');
  return name;
}

export function urlFor(database: string, base = TEST_PG_URL): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>, base = TEST_PG_URL): Promise<T> {
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/**
 * A database of this test file's own, cloned from the migrated template that the global
 * setup made, so files run in parallel and never see each other's rows.
 */
export async function createTestDatabase(options: { template?: string; base?: string } = {}): Promise<TestDatabase> {
  const name = `hookline_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const base = options.base ?? TEST_PG_URL;
  await admin((c) => c.query(`create database ${name} template ${options.template ?? templateDbName()}`), base);
  return {
    name,
    url: urlFor(name, base),
    drop: () => admin((c) => c.query(`drop database if exists ${name} with (force)`), base).then(() => {}),
  };
}

export async function dropDatabase(name: string, base = TEST_PG_URL): Promise<void> {
  await admin((c) => c.query(`drop database if exists ${name} with (force)`), base);
}

export async function recreateDatabase(name: string, base = TEST_PG_URL): Promise<string> {
  await admin(async (c) => {
    await c.query(`drop database if exists ${name} with (force)`);
    await c.query(`create database ${name}`);
  }, base);
  return urlFor(name, base);
}

/** A Redis key prefix of this test's own (BullMQ queues live under it). */
export function testRedisPrefix(): string {
  return `hl-test-${randomUUID()}`;
}
