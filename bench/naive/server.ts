// The naive baseline for `npm run bench`: the same stack written the obvious way, as a
// developer would on a first afternoon. Per request: verify with @mux/mux-node, one
// INSERT, one BullMQ add, answer. A BullMQ worker in the same process POSTs each event to
// the destination and updates its row. No batching, no caching, no request log, no
// normalization, no live stream: that is the point of comparison.
//
// Environment: PORT, DATABASE_URL, REDIS_URL, NAIVE_PREFIX, MUX_SECRET, DESTINATION_URL.
import Mux from '@mux/mux-node';
import { Queue, Worker } from 'bullmq';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const pool = new pg.Pool({ connectionString: env('DATABASE_URL'), max: 20 });
await pool.query(`create table if not exists naive_events (
  id bigserial primary key,
  provider_event_id text not null,
  body text not null,
  status text not null default 'pending',
  attempts int not null default 0,
  received_at timestamptz not null default now(),
  delivered_at timestamptz
)`);

const mux = new Mux({ tokenId: 'unused', tokenSecret: 'unused', webhookSecret: env('MUX_SECRET') });
const connection = { url: env('REDIS_URL') };
const prefix = env('NAIVE_PREFIX');
const queue = new Queue('naive', { connection: new Redis(env('REDIS_URL'), { maxRetriesPerRequest: null }), prefix });
const destination = env('DESTINATION_URL');

const worker = new Worker(
  'naive',
  async (job) => {
    const { rows } = await pool.query('select body from naive_events where id = $1', [job.data.id]);
    const response = await fetch(destination, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: rows[0].body,
      signal: AbortSignal.timeout(15_000),
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`destination answered ${response.status}`);
    await pool.query(`update naive_events set status = 'delivered', attempts = attempts + 1, delivered_at = now() where id = $1`, [
      job.data.id,
    ]);
  },
  { connection: { ...connection, maxRetriesPerRequest: null }, prefix, concurrency: 50 },
);
worker.on('error', () => {});

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
app.post<{ Body: string }>('/webhooks/mux', async (request, reply) => {
  try {
    mux.webhooks.verifySignature(request.body, request.headers as Record<string, string>);
  } catch {
    return reply.code(401).send({ error: 'invalid signature' });
  }
  const event = JSON.parse(request.body);
  const { rows } = await pool.query('insert into naive_events (provider_event_id, body) values ($1, $2) returning id', [
    event.id,
    request.body,
  ]);
  await queue.add('deliver', { id: rows[0].id }, { attempts: 8, backoff: { type: 'exponential', delay: 5000 }, removeOnComplete: true });
  return { ok: true };
});

await app.listen({ port: Number(env('PORT')), host: '127.0.0.1' });
console.log('naive relay listening on', Number(env('PORT')));

process.on('SIGTERM', async () => {
  await app.close();
  await worker.close();
  await queue.close();
  await pool.end();
  process.exit(0);
});
