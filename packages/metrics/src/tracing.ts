/**
 * OpenTelemetry spans for ingest → store → attempt, exported over OTLP (HTTP/JSON) only when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Without it no provider is registered and every span
 * below is the API's no-op (no allocation beyond a call), so the hot paths pay nothing.
 *
 * Spans carry the ids that tie them to the database: `hookline.request_id`,
 * `hookline.event_id`, `hookline.delivery_id`. When the worker runs in the ingest process,
 * an event's first attempts are children of its ingest span; attempts taken from the queue
 * start traces of their own, found by the same ids.
 */
import { type Attributes, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export const tracer = trace.getTracer('hookline');

/**
 * Registers the OTLP exporter (it reads `OTEL_EXPORTER_OTLP_ENDPOINT` and the other standard
 * `OTEL_*` variables itself). Returns what flushes and stops it at shutdown.
 */
export function startTracing(options: { serviceName: string }): () => Promise<void> {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME || options.serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 1_000 })],
  });
  provider.register();
  return () => provider.shutdown();
}

/** Runs `work` in a span made current for it, so spans started inside nest under it. */
export function inSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

export { type Span, SpanStatusCode };
