import { newId } from '@hookline/core';
import { openDatabase } from '@hookline/db';
import { renderEnvelope } from '@hookline/providers';
import {
  ApiClient,
  backendEnv,
  eventually,
  type HooklineProcess,
  muxSignature,
  openStream,
  sendWebhook,
  signUp,
  startHooklineProcess,
} from '@hookline/testing';
import { describe, expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, MUX_SECRET } from './helpers.ts';

async function send(ingestUrl: string) {
  const body = freshMuxEvent();
  const answer = await sendWebhook(ingestUrl, body, { 'mux-signature': muxSignature(body, MUX_SECRET) });
  expect(answer.status).toBe(200);
  return answer.body.id as string;
}

/**
 * An event as ingest stored it before it limited nesting: `data` 100,000 arrays deep, with
 * its stream entry, written straight into the database (the process is stopped meanwhile,
 * since an embedded database has one owner).
 */
async function storePoisonEvent(env: Record<string, string>, tenantId: string, sourceId: string): Promise<string> {
  const id = newId('event');
  const handle = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.HOOKLINE_DATA_DIR as string, migrate: false });
  try {
    const receivedAt = new Date();
    const providerEventId = crypto.randomUUID();
    const payload = renderEnvelope(
      {
        type: 'video.asset.ready',
        providerEventId,
        providerEventType: 'video.asset.ready',
        occurredAt: null,
        object: { type: 'asset', id: 'deep' },
        environment: null,
        dataJson: `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      },
      { id, provider: 'mux', sourceId, receivedAt },
    );
    await handle.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('events')
        .values({
          id,
          tenant_id: tenantId,
          source_id: sourceId,
          request_id: null,
          type: 'video.asset.ready',
          provider: 'mux',
          provider_event_id: providerEventId,
          provider_event_type: 'video.asset.ready',
          occurred_at: null,
          received_at: receivedAt,
          payload,
        })
        .execute();
      await trx.insertInto('stream_entries').values({ tenant_id: tenantId, source_id: sourceId, kind: 'event', ref_id: id }).execute();
    });
  } finally {
    await handle.close();
  }
  return id;
}

describe('an event too deep to show', () => {
  it('comes out with data_omitted in the list, the detail and the stream, which carries on past it', async () => {
    const storage = await backendEnv();
    let hookline: HooklineProcess | undefined = await startHooklineProcess({ env: storage.env });
    try {
      const { api, apiKey, tenantId } = await signUp(hookline.url);
      const source = await createMuxSource(api);
      const auth = { authorization: `Bearer ${apiKey}` };
      const before = await send(source.ingest_url);
      const idle = await openStream(`${hookline.url}/v1/stream?kinds=event`, auth);
      await eventually(async () => idle.lastId !== undefined);
      const cursor = idle.lastId as string;
      await idle.close();

      const port = hookline.port;
      await hookline.stop();
      hookline = undefined;
      const poison = await storePoisonEvent(storage.env, tenantId, source.id);
      hookline = await startHooklineProcess({ env: storage.env, port });
      const client = new ApiClient(hookline.url, apiKey);

      // The stream sends it once, marked, and goes on to the events after it.
      const stream = await openStream(`${hookline.url}/v1/stream?kinds=event`, { ...auth, 'last-event-id': cursor });
      const after = await send(source.ingest_url);
      await stream.waitFor(2);
      const last = await send(source.ingest_url);
      await stream.waitFor(3);
      await stream.close();
      expect(stream.messages.map((m) => m.data.id)).toEqual([poison, after, last]);
      expect(new Set(stream.messages.map((m) => m.id)).size).toBe(3);
      const marked = {
        id: poison,
        type: 'video.asset.ready',
        source_id: source.id,
        object: { type: 'asset', id: 'deep' },
        data: null,
        data_omitted: { reason: 'too_deep', message: expect.stringContaining('too deep') },
      };
      expect(stream.messages[0]?.data).toMatchObject(marked);
      expect(stream.messages[1]?.data).toMatchObject({ id: after, data: { status: 'ready' } });
      expect(stream.messages[1]?.data.data_omitted).toBeUndefined();

      // The list shows every event, the poison one marked.
      const list = await client.call('GET', '/v1/events?limit=10');
      expect(list.status).toBe(200);
      expect(list.body.data.map((e: { id: string }) => e.id)).toEqual([last, after, poison, before]);
      expect(list.body.data[2]).toMatchObject({ ...marked, status: 'no_destinations' });
      expect(list.body.data[1]).toMatchObject({ id: after, status: 'no_destinations', data: { status: 'ready' } });

      // Its detail answers, and so does everyone else's.
      const detail = await client.call('GET', `/v1/events/${poison}`);
      expect(detail.status).toBe(200);
      expect(detail.body).toMatchObject({ ...marked, status: 'no_destinations', request: null, deliveries: [] });
      expect((await client.call('GET', `/v1/events/${after}`)).body).toMatchObject({ id: after, data: { status: 'ready' } });
    } finally {
      await hookline?.stop();
      await storage.cleanup();
    }
  });
});
