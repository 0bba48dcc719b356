import { createServer } from 'node:http';
import { backendEnv, eventually, muxSignature, sendWebhook, signUp, startHooklineProcess, startReceiver } from '@hookline/testing';
import { expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, MUX_SECRET } from './helpers.ts';

interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: { key: string; value: Record<string, unknown> }[];
}

/** A minimal OTLP/HTTP (JSON) collector: keeps every span POSTed to /v1/traces. */
async function startCollector() {
  const spans: OtlpSpan[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const r of body.resourceSpans ?? []) for (const s of r.scopeSpans ?? []) spans.push(...(s.spans ?? []));
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value ? Object.values(value)[0] : undefined;
};

it('exports ingest → store → attempt spans over OTLP, carrying the request, event and delivery ids, when an endpoint is set', async () => {
  const storage = await backendEnv();
  const collector = await startCollector();
  const receiver = await startReceiver();
  const hookline = await startHooklineProcess({ env: { ...storage.env, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url } });
  try {
    const { api } = await signUp(hookline.url);
    const source = await createMuxSource(api);
    await api.ok('POST', '/v1/destinations', { source_id: source.id, url: receiver.url });
    const body = freshMuxEvent();
    const answer = await sendWebhook(source.ingest_url, body, { 'mux-signature': muxSignature(body, MUX_SECRET) });
    expect(answer.status).toBe(200);
    const eventId = answer.body.id as string;

    const named = (name: string) => collector.spans.find((s) => s.name === name && attribute(s, 'hookline.event_id') === eventId);
    const [ingest, store, attempt] = await eventually(async () => {
      const found = [named('hookline.ingest'), named('hookline.store'), named('hookline.attempt')];
      return found.every(Boolean) ? (found as [OtlpSpan, OtlpSpan, OtlpSpan]) : undefined;
    });
    expect(attribute(ingest, 'hookline.outcome')).toBe('accepted');
    expect(attribute(ingest, 'hookline.provider')).toBe('mux');
    expect(attribute(ingest, 'hookline.request_id')).toMatch(/^req_/);
    expect(attribute(store, 'hookline.request_id')).toBe(attribute(ingest, 'hookline.request_id'));
    expect(store.parentSpanId).toBe(ingest.spanId);
    expect(attribute(attempt, 'hookline.delivery_id')).toMatch(/^dlv_/);
    expect(attribute(attempt, 'hookline.outcome')).toBe('succeeded');
    expect(Number(attribute(attempt, 'http.response.status_code'))).toBe(200);
    // The worker in this process got the delivery from ingest directly: the attempt is part of the ingest's trace.
    expect(attempt.traceId).toBe(ingest.traceId);
  } finally {
    await hookline.stop();
    await receiver.close();
    await collector.close();
    await storage.cleanup();
  }
});
