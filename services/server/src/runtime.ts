import { fileURLToPath } from 'node:url';
import {
  apiRoutes,
  healthRoutes,
  installErrorHandling,
  installSecurityHeaders,
  limitRequests,
  registerOpenApi,
  webUi,
} from '@hookline/api';
import { type Config, secretBoxFor } from '@hookline/config';
import { hashIngestKey, hideIngestKey } from '@hookline/core';
import { type DatabaseHandle, openDatabase, readDeliveryBacklog, sealPlaintextIngestKeys } from '@hookline/db';
import * as metrics from '@hookline/metrics';
import { type DeliveryQueue, openNotifier, openQueue } from '@hookline/queue';
import { Ingestor, ingestRoutes } from '@hookline/relay';
import { TransformRunner } from '@hookline/rules';
import { AlertSender, Alerts, DeliveryWorker, HttpAttempts, Pruner, ReplayRunner, Sweeper, TableUpkeep } from '@hookline/worker';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';

const WEB_DIST = fileURLToPath(new URL('../../../web/dist', import.meta.url));

export const ROLES = ['relay', 'api', 'worker'] as const;
export type Role = (typeof ROLES)[number];

/** The roles' fastify app with everything it uses opened, not yet listening (see `buildApp`). */
export interface HooklineApp {
  app: FastifyInstance;
  database: DatabaseHandle;
  queue: DeliveryQueue;
  /** Stops accepting, then closes the background work and every connection; safe to call twice. */
  close(): Promise<void>;
}

/** A started Hookline: the app listening on `url`. */
export interface Hookline extends HooklineApp {
  url: string;
}

/** Never let a secret reach the logs, whatever a log call is handed. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  '*.secret',
  '*.password',
  '*.signing_secret',
  '*.api_key',
  '*.secret_sealed',
  '*.previous_secret_sealed',
];

/** Fastify's request log fields, but an ingest URL's key is a bearer secret: only its hint is logged. */
function logRequest(req: FastifyRequest) {
  return { method: req.method, url: hideIngestKey(req.url), host: req.host, remoteAddress: req.ip, remotePort: req.socket?.remotePort };
}

/**
 * Starts the given roles in this process (see `buildApp`) and listens on HOST:PORT.
 */
export async function startHookline(config: Config, roles: ReadonlySet<Role>): Promise<Hookline> {
  const built = await buildApp(config, roles);
  try {
    const url = await built.app.listen({ port: config.port, host: config.host });
    return { ...built, url };
  } catch (err) {
    await built.close();
    throw err;
  }
}

/**
 * Builds the given roles without listening: `relay` (ingest), `api` (tenant API) and
 * `worker` (delivery and sweeper), with their database, queue, notifier and secrets
 * opened and the worker's background jobs running. Tests drive the routes with
 * `app.inject`; `startHookline` listens. All three together run on embedded storage; any
 * other split needs PostgreSQL and Redis, which the roles share.
 */
export async function buildApp(config: Config, roles: ReadonlySet<Role>): Promise<HooklineApp> {
  const all = ROLES.every((r) => roles.has(r));
  if (!all && (!config.databaseUrl || !config.redisUrl)) {
    throw new Error('running roles separately needs DATABASE_URL and REDIS_URL (shared by every role)');
  }
  const app = Fastify({
    logger: { level: config.logLevel, redact: { paths: REDACT, censor: '[redacted]' }, serializers: { req: logRequest } },
    // Providers give up after a few seconds; never hold a connection longer than that.
    requestTimeout: 30_000,
    // Closing drops idle keep-alive connections but lets requests in flight finish (ingest
    // answers what it committed); live streams are ended by the stream routes' preClose.
    forceCloseConnections: 'idle',
    bodyLimit: 1024 * 1024,
    // HOOKLINE_TRUST_PROXY: request.ip (rate limits, the request log) is the client's behind a load balancer.
    trustProxy: config.trustProxy,
  });
  const log = app.log;
  // Spans (ingest → store → attempt) go out over OTLP only when an endpoint is configured.
  const serviceName = `hookline-${all ? 'all' : [...roles].join('+')}`;
  const stopTracing = config.otlpEndpoint ? metrics.startTracing({ serviceName }) : undefined;
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    pgliteSharedBuffers: config.pgliteSharedBuffers,
  });
  const queue = openQueue({
    redisUrl: config.redisUrl,
    prefix: config.redisPrefix,
    onError: (err) => log.warn({ err: err.message }, 'queue connection error'),
  });
  // Live streams are woken across processes through Redis in scale mode.
  const notifier = openNotifier({
    redisUrl: config.redisUrl,
    prefix: config.redisPrefix,
    onError: (err) => log.warn({ err: err.message }, 'notifier connection error'),
  });
  const secrets = secretBoxFor(config);
  // Finishes the ingest-key migration, which needs the key (a no-op once done).
  const sealed = await sealPlaintextIngestKeys(database.db, secrets);
  if (sealed > 0) log.info({ sealed }, 'sealed the ingest keys stored in plaintext by an older release');
  // Rate-limit counters live in Redis in scale mode, so every process shares each budget.
  const limiterRedis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false }) : undefined;
  limiterRedis?.on('error', (err) => log.warn({ err: err.message }, 'rate-limit store connection error'));
  const nameSpace = `${config.redisPrefix}:rl:`;
  const { db } = database;

  installErrorHandling(app);
  installSecurityHeaders(app, { https: config.publicUrl.startsWith('https:') });
  // Closing waits for every open connection, and a keep-alive one that answers a request
  // after close began would stay open until its keep-alive timeout: while draining, each
  // answer closes its connection (clients reconnect to another instance).
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (draining) reply.header('connection', 'close');
  });
  if (roles.has('api')) await registerOpenApi(app, { publicUrl: config.publicUrl });
  // Only a worker is unready without its queue: ingest and the API keep answering without
  // Redis (the sweeper enqueues later), so a Redis blip must not take them out of rotation.
  await app.register(healthRoutes, { db, queue, needsQueue: !roles.has('relay') && !roles.has('api') });
  // Every 429 (ingest budgets, API, login and signup limits), counted by where it was refused.
  app.addHook('onResponse', (request, reply, done) => {
    if (reply.statusCode === 429) metrics.rateLimited.inc({ scope: request.url.startsWith('/in/') ? 'ingest' : 'api' });
    done();
  });
  // The backlog gauges (pending, failed, oldest pending age, queue lag), queried when scraped.
  const readBacklog = () => readDeliveryBacklog(db);
  metrics.watchBacklog(readBacklog);
  metrics.watchPool(database.pool);

  // Transforms run on a thread of their own (the worker at attempt time, the API to check and try them).
  const transforms = new TransformRunner({ timeoutMs: config.transformTimeoutMs, memoryBytes: config.transformMemoryBytes });
  let sweeper: Sweeper | undefined;
  let pruner: Pruner | undefined;
  let upkeep: TableUpkeep | undefined;
  let alerts: Alerts | undefined;
  let replays: ReplayRunner | undefined;
  let http: HttpAttempts | undefined;
  let worker: DeliveryWorker | undefined;
  if (roles.has('worker')) {
    http = new HttpAttempts({ allowPrivateDestinations: config.allowPrivateDestinations });
    worker = new DeliveryWorker({
      db,
      queue,
      secrets,
      http,
      transforms,
      log,
      retryScheduleMs: config.retryScheduleMs,
      deliveryTimeoutMs: config.deliveryTimeoutMs,
      concurrency: config.workerConcurrency,
      tenantMaxInFlight: config.tenantMaxInFlight,
      breaker: config.breaker,
      onAttempt: (attempt) => notifier.publish(attempt.tenant_id),
    });
    // Batches in flight: enough that a batch waiting on a slow destination does not hold up
    // the rest; the worker's own slots cap attempts at workerConcurrency.
    queue.consume(worker.handle, 8);
    sweeper = new Sweeper({ db, queue, log, intervalMs: config.sweepIntervalMs, breaker: config.breaker });
    sweeper.start();
    upkeep = new TableUpkeep({ db, log, embedded: database.kind === 'pglite' });
    upkeep.start();
    pruner = new Pruner({
      db,
      log,
      retentionMs: config.retentionMs,
      intervalMs: config.pruneIntervalMs,
      onPruned: () => upkeep?.notePruned(),
    });
    pruner.start();
    // Alerts leave through their own outbox and this HTTP client, never the delivery pipeline.
    const sender = new AlertSender({
      db,
      secrets,
      http,
      log,
      retryScheduleMs: config.alertRetryScheduleMs,
      timeoutMs: Math.min(config.deliveryTimeoutMs, 10_000),
      smtp: config.smtpUrl ? { url: config.smtpUrl, from: config.alertFrom } : undefined,
    });
    alerts = new Alerts({ db, sender, log, intervalMs: config.alertIntervalMs, thresholds: alertThresholds(config) });
    alerts.start();
    replays = new ReplayRunner({
      db,
      queue,
      log,
      pollIntervalMs: config.replayPollIntervalMs,
      chunkSize: config.replayChunk,
      chunkPauseMs: config.replayChunkPauseMs,
      leaseMs: config.replayLeaseMs,
    });
    replays.start();
  }

  if (roles.has('relay')) {
    const ingestor = new Ingestor({
      db,
      queue,
      secrets,
      log,
      maxBodyBytes: config.maxBodyBytes,
      maxConcurrentCommits: database.kind === 'pglite' ? 1 : config.ingestCommits,
      maxBatch: config.ingestBatchSize,
      rejectedBodyExcerptBytes: config.rejectedBodyExcerptBytes,
      unknownKeyRateLimit: config.unknownKeyRateLimit,
      storageBudgetBytes: config.tenantStorageBudgetBytes,
      maxJsonDepth: config.maxJsonDepth,
      onStored: ({ request }) => {
        if (request.tenant_id) notifier.publish(request.tenant_id);
      },
      // With the worker in this process, new deliveries skip the queue, and most the claim.
      localDelivery: worker && { offer: worker.offer, lend: worker.lend },
    });
    await app.register(ingestRoutes, {
      ingestor,
      maxBodyBytes: config.maxBodyBytes,
      rejectedBodyExcerptBytes: config.rejectedBodyExcerptBytes,
      limit: (scope) =>
        limitRequests(scope, {
          max: config.ingestRateLimit,
          // By hash: the counters' names in Redis must not hand out the ingest keys.
          key: (r) => `src:${hashIngestKey((r.params as { source_key?: string }).source_key ?? '')}`,
          redis: limiterRedis,
          nameSpace: `${nameSpace}in:`,
        }),
    });
  }
  if (roles.has('api')) {
    await app.register(apiRoutes, {
      db,
      queue,
      notifier,
      secrets,
      publicUrl: config.publicUrl,
      allowPrivateDestinations: config.allowPrivateDestinations,
      emailAlerts: config.smtpUrl !== undefined,
      signup: config.signup,
      rateLimit: { perMinute: config.apiRateLimit, redis: limiterRedis, nameSpace },
      storageBudgetBytes: config.tenantStorageBudgetBytes,
      transforms,
      stream: { heartbeatMs: config.streamHeartbeatMs, pollMs: 2_000 },
    });
    await app.register(webUi, { distDir: WEB_DIST });
  }
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // In this order: no new connections, requests in flight answered, streams ended; then
      // no new attempts, those in flight recorded; then the connections they used.
      await app.close();
      metrics.unwatchBacklog(readBacklog);
      await sweeper?.stop();
      worker?.stop();
      await pruner?.stop();
      await upkeep?.stop();
      await alerts?.stop();
      await replays?.stop();
      await worker?.close();
      await queue.close();
      await notifier.close();
      limiterRedis?.disconnect();
      await http?.close();
      await transforms.close();
      await database.close();
      await stopTracing?.().catch((err) => log.warn({ err: (err as Error).message }, 'flushing the last spans failed'));
    })();
    return closing;
  };
  return { app, database, queue, close };
}

/** What opens each alert, from the settings (CONTRACT §8). */
function alertThresholds(config: Config) {
  return {
    // A destination is failing exactly when its circuit breaker trips.
    destinationFailingAfter: config.breaker.threshold,
    rejectThreshold: config.alertRejectThreshold,
    rejectWindowMs: config.alertRejectWindowMs,
    silentAfterSeconds: Math.round(config.alertSilentAfterMs / 1000),
    backlogAgeMs: config.alertBacklogAgeMs,
  };
}
