import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDuration, parseDurationList, parseSize, SecretBox } from '@hookline/core';

/** Everything the processes read from the environment, parsed and validated once at start. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** Embedded only: PGlite's shared_buffers in bytes (PostgreSQL's default, 128 MB, was most of an embedded process's RSS). */
  pgliteSharedBuffers: number;
  publicUrl: string;
  secretKey: Buffer;
  /** HOOKLINE_SECRET_KEY_PREVIOUS: during a key rotation, opens what the current key did not seal. */
  previousSecretKey: Buffer | undefined;
  retryScheduleMs: number[];
  deliveryTimeoutMs: number;
  maxBodyBytes: number;
  allowPrivateDestinations: boolean;
  /** How often the sweeper looks for due deliveries that are not queued. */
  sweepIntervalMs: number;
  /** Prefix for every Redis key (BullMQ queues), so several deployments or tests share one Redis. */
  redisPrefix: string;
  /** Most ingested requests committed in one transaction (1 turns group commit off). */
  ingestBatchSize: number;
  /** Ingest statements in flight at once per relay process on PostgreSQL (PGlite runs one). */
  ingestCommits: number;
  /** Requests per minute per API key (or web session). */
  apiRateLimit: number;
  /** Requests per minute per source ingest URL. */
  ingestRateLimit: number;
  /** Requests per minute per client address (IPv6: per /64) to ingest keys no source has; more answer 429 and are only counted. */
  unknownKeyRateLimit: number;
  /** Most body bytes kept for an unverified or refused ingest request (0: none). */
  rejectedBodyExcerptBytes: number;
  /** Bytes each tenant may store (request bodies and headers, event payloads); 0 turns the budget off. */
  tenantStorageBudgetBytes: number;
  /** Deepest JSON nesting ingest accepts. */
  maxJsonDepth: number;
  /** How long events and requests are kept before the pruning job deletes them. */
  retentionMs: number;
  /** How often the pruning job runs. */
  pruneIntervalMs: number;
  /** How often an idle live stream sends a comment line, so proxies keep it open. */
  streamHeartbeatMs: number;
  /** Deliveries in flight at once per worker process. */
  workerConcurrency: number;
  /** Wall time for one call of a destination's transform (sandboxed JavaScript). */
  transformTimeoutMs: number;
  /** Heap for one call of a destination's transform. */
  transformMemoryBytes: number;
  /** Attempts one tenant may have in flight at once per worker process (fair share of workerConcurrency). */
  tenantMaxInFlight: number;
  /** The circuit breaker (issue 13): failures in a row that open it, how long it stays open, when it disables. */
  breaker: { threshold: number; backoffMs: number; maxBackoffMs: number; disableAfterMs: number };
  /** How long SIGTERM waits for work in flight before exiting anyway. */
  shutdownTimeoutMs: number;
  /** Deliveries a replay job redelivers per chunk (one transaction each). */
  replayChunk: number;
  /** A pause between a replay job's chunks, to spare the database. */
  replayChunkPauseMs: number;
  /** How often an idle worker looks for a replay job to run. */
  replayPollIntervalMs: number;
  /** How long a replay job stays a worker's between chunks; a killed worker's job resumes elsewhere after it. */
  replayLeaseMs: number;
  /** `closed`: POST /v1/signup answers 403 unless it carries an invite; the admin command still creates tenants. */
  signup: 'open' | 'closed';
  /**
   * Fastify's `trustProxy`: which peers' X-Forwarded-For gives the client address (false: none);
   * a hop count becomes a function trusting that many hops nearest to Hookline.
   */
  trustProxy: boolean | string[] | ((address: string, hop: number) => boolean);
  /** Alerts (CONTRACT §8): how often the worker evaluates them and sends what is due. */
  alertIntervalMs: number;
  /** Waits between a failed alert notification and its next try; spent, it is given up. */
  alertRetryScheduleMs: number[];
  /** source.rejecting: this many signature failures within alertRejectWindowMs, with no accepted request after them. */
  alertRejectThreshold: number;
  alertRejectWindowMs: number;
  /** source.silent: no events for this long (the default for tenants and sources that set none; 0: off). */
  alertSilentAfterMs: number;
  /** delivery.backlog: the oldest pending delivery is older than this (0: off). */
  alertBacklogAgeMs: number;
  /** Email alert channels are available only with an SMTP server (`smtp://` or `smtps://`). */
  smtpUrl: string | undefined;
  /** The From of alert emails. */
  alertFrom: string;
  logLevel: string;
  /** OpenTelemetry: spans are exported over OTLP only when this is set (the exporter reads the other OTEL_* variables). */
  otlpEndpoint: string | undefined;
}

/** A configuration problem: the message is the one line printed before exiting. */
export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function read<T>(env: Env, name: string, fallback: T, parse: (raw: string) => T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  try {
    return parse(raw);
  } catch (err) {
    throw new ConfigError(`${name}: ${(err as Error).message}`);
  }
}

function parsePort(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`"${raw}" is not a port (0-65535)`);
  return n;
}

function parseBool(raw: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`"${raw}" is not a boolean (use true or false)`);
}

function parseUrl(protocols: string[]) {
  return (raw: string): string => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new Error(`"${redactUrl(raw)}" is not a URL`);
    }
    if (!protocols.includes(url.protocol)) {
      throw new Error(`must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
    }
    return raw;
  };
}

/** Never print a password that sits in a connection string. */
function redactUrl(raw: string): string {
  return raw.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

function parseSecretKey(raw: string): Buffer {
  const key = Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new Error('must be 32 random bytes, base64-encoded (openssl rand -base64 32)');
  return key;
}

/** `true`/`false`, a hop count, or a comma-separated list of addresses and CIDR ranges. */
export function parseTrustProxy(raw: string): Config['trustProxy'] {
  if (/^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
  if (/^\d+$/.test(raw)) {
    // Fastify ignores a bare number (it cannot check the peer); as a function it is the usual
    // meaning: the nearest `hops` addresses (the peer first) are proxies, the next is the client.
    const hops = Number(raw);
    if (hops === 0) return false;
    return (_address: string, hop: number) => hop < hops;
  }
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error('give true, a hop count, or addresses/CIDRs separated by commas');
  for (const entry of entries) {
    const [address, bits, ...rest] = entry.split('/');
    const family = isIP(address ?? '');
    const maxBits = family === 4 ? 32 : 128;
    const badBits = bits !== undefined && (!/^\d+$/.test(bits) || Number(bits) > maxBits);
    if (family === 0 || badBits || rest.length > 0) {
      throw new Error(`"${entry}" is not an address or CIDR range (give true, a hop count, or addresses/CIDRs separated by commas)`);
    }
  }
  return entries;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** The embedded default: a key generated once into the data dir, so restarts can decrypt. */
function embeddedSecretKey(dataDir: string): Buffer {
  const file = join(dataDir, 'secret.key');
  if (existsSync(file)) return parseSecretKey(readFileSync(file, 'utf8').trim());
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600 });
  return key;
}

export function loadConfig(env: Env = process.env): Config {
  const port = read(env, 'PORT', 8080, parsePort);
  const host = read(env, 'HOST', '127.0.0.1', (raw) => raw);
  const dataDir = resolve(read(env, 'HOOKLINE_DATA_DIR', './.hookline', (raw) => raw));
  const databaseUrl = read(env, 'DATABASE_URL', undefined, parseUrl(['postgres:', 'postgresql:']));
  const redisUrl = read(env, 'REDIS_URL', undefined, parseUrl(['redis:', 'rediss:']));
  const pgliteSharedBuffers = read(env, 'HOOKLINE_PGLITE_SHARED_BUFFERS', 16 * 1024 * 1024, parseSize);
  if (pgliteSharedBuffers < 1024 * 1024 || pgliteSharedBuffers > 1024 ** 3) {
    throw new ConfigError('HOOKLINE_PGLITE_SHARED_BUFFERS: from 1mb to 1gb');
  }
  const publicUrl = read(env, 'HOOKLINE_PUBLIC_URL', `http://${host.includes(':') ? `[${host}]` : host}:${port}`, (raw) =>
    parseUrl(['http:', 'https:'])(raw).replace(/\/+$/, ''),
  );
  let secretKey = read(env, 'HOOKLINE_SECRET_KEY', undefined as Buffer | undefined, parseSecretKey);
  if (!secretKey) {
    if (databaseUrl) {
      throw new ConfigError('HOOKLINE_SECRET_KEY: required with DATABASE_URL (openssl rand -base64 32)');
    }
    secretKey = embeddedSecretKey(dataDir);
  }
  const previousSecretKey = read(env, 'HOOKLINE_SECRET_KEY_PREVIOUS', undefined as Buffer | undefined, parseSecretKey);
  const retryScheduleMs = read(env, 'HOOKLINE_RETRY_SCHEDULE', parseDurationList('5s,5m,30m,2h,5h,10h,10h'), parseDurationList);
  const deliveryTimeoutMs = read(env, 'HOOKLINE_DELIVERY_TIMEOUT', 15_000, parseDuration);
  if (deliveryTimeoutMs <= 0) throw new ConfigError('HOOKLINE_DELIVERY_TIMEOUT: must be greater than 0');
  const maxBodyBytes = read(env, 'HOOKLINE_MAX_BODY', 1024 * 1024, parseSize);
  if (maxBodyBytes <= 0) throw new ConfigError('HOOKLINE_MAX_BODY: must be greater than 0');
  // Unset, private destinations are allowed only on a plainly local instance: one that
  // listens on loopback and is not published under a public URL (a loopback HOST behind a
  // reverse proxy with open signup would let any tenant reach internal services).
  const plainlyLocal = isLoopback(host) && isLoopback(new URL(publicUrl).hostname.replace(/^\[|\]$/g, ''));
  const allowPrivateDestinations = read(env, 'HOOKLINE_ALLOW_PRIVATE_DESTINATIONS', plainlyLocal, parseBool);
  const sweepIntervalMs = read(env, 'HOOKLINE_SWEEP_INTERVAL', 5_000, parseDuration);
  const redisPrefix = read(env, 'HOOKLINE_REDIS_PREFIX', 'hookline', (raw) => {
    if (!/^[\w.-]+$/.test(raw)) throw new Error('use letters, digits, ".", "_" or "-"');
    return raw;
  });
  const ingestBatchSize = read(env, 'HOOKLINE_INGEST_BATCH', 200, (raw) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Error(`"${raw}" is not a whole number from 1 to 1000`);
    return n;
  });
  // Few in flight keeps batches growing with load: more statements at once would only share
  // the same cores, each carrying fewer writes, and insert into the same rightmost index
  // pages (ids are time-ordered) at the same moment. Half the CPUs: on 2 cores, where
  // PostgreSQL shares the machine, one statement at a time took 10 % less PostgreSQL time
  // per event than two, with 3–13 % more throughput (pg_stat_statements, runs in pairs).
  const ingestCommits = read(env, 'HOOKLINE_INGEST_COMMITS', Math.max(1, Math.min(8, Math.floor(availableParallelism() / 2))), (raw) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`"${raw}" is not a whole number from 1 to 64`);
    return n;
  });
  const perMinute = (raw: string) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`"${raw}" is not a whole number of requests per minute`);
    return n;
  };
  const apiRateLimit = read(env, 'HOOKLINE_API_RATE_LIMIT', 1200, perMinute);
  const ingestRateLimit = read(env, 'HOOKLINE_INGEST_RATE_LIMIT', 6000, perMinute);
  const unknownKeyRateLimit = read(env, 'HOOKLINE_UNKNOWN_KEY_RATE_LIMIT', 60, perMinute);
  const rejectedBodyExcerptBytes = read(env, 'HOOKLINE_REJECTED_BODY_EXCERPT', 1024, parseSize);
  if (rejectedBodyExcerptBytes > 64 * 1024) throw new ConfigError('HOOKLINE_REJECTED_BODY_EXCERPT: at most 64kb (it is an excerpt)');
  const tenantStorageBudgetBytes = read(env, 'HOOKLINE_TENANT_STORAGE_BUDGET', 1024 ** 3, parseSize);
  const maxJsonDepth = read(env, 'HOOKLINE_MAX_JSON_DEPTH', 64, (raw) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 2 || n > 1000) throw new Error(`"${raw}" is not a whole number from 2 to 1000`);
    return n;
  });
  const retentionMs = read(env, 'HOOKLINE_RETENTION', 30 * 86_400_000, parseDuration);
  if (retentionMs <= 0) throw new ConfigError('HOOKLINE_RETENTION: must be greater than 0');
  const pruneIntervalMs = read(env, 'HOOKLINE_PRUNE_INTERVAL', 3_600_000, parseDuration);
  const streamHeartbeatMs = read(env, 'HOOKLINE_STREAM_HEARTBEAT', 15_000, parseDuration);
  const workerConcurrency = read(env, 'HOOKLINE_WORKER_CONCURRENCY', 200, (raw) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Error(`"${raw}" is not a whole number from 1 to 1000`);
    return n;
  });
  const transformTimeoutMs = read(env, 'HOOKLINE_TRANSFORM_TIMEOUT', 250, parseDuration);
  if (transformTimeoutMs <= 0 || transformTimeoutMs > 10_000) throw new ConfigError('HOOKLINE_TRANSFORM_TIMEOUT: from 1ms to 10s');
  const transformMemoryBytes = read(env, 'HOOKLINE_TRANSFORM_MEMORY', 32 * 1024 * 1024, parseSize);
  if (transformMemoryBytes < 1024 * 1024 || transformMemoryBytes > 1024 ** 3) {
    throw new ConfigError('HOOKLINE_TRANSFORM_MEMORY: from 1mb to 1gb');
  }
  const tenantMaxInFlight = read(env, 'HOOKLINE_TENANT_MAX_IN_FLIGHT', Math.ceil(workerConcurrency / 2), (raw) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`"${raw}" is not a whole number of at least 1`);
    return n;
  });
  const breaker = {
    threshold: read(env, 'HOOKLINE_BREAKER_THRESHOLD', 10, (raw) => {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1) throw new Error(`"${raw}" is not a whole number of at least 1`);
      return n;
    }),
    backoffMs: read(env, 'HOOKLINE_BREAKER_BACKOFF', 30_000, parseDuration),
    maxBackoffMs: read(env, 'HOOKLINE_BREAKER_MAX_BACKOFF', 30 * 60_000, parseDuration),
    disableAfterMs: read(env, 'HOOKLINE_DISABLE_AFTER', 5 * 86_400_000, parseDuration),
  };
  if (breaker.maxBackoffMs < breaker.backoffMs) {
    throw new ConfigError('HOOKLINE_BREAKER_MAX_BACKOFF: must be at least HOOKLINE_BREAKER_BACKOFF');
  }
  const shutdownTimeoutMs = read(env, 'HOOKLINE_SHUTDOWN_TIMEOUT', 10_000, parseDuration);
  const replayChunk = read(env, 'HOOKLINE_REPLAY_CHUNK', 500, (raw) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new Error(`"${raw}" is not a whole number from 1 to 10000`);
    return n;
  });
  const replayChunkPauseMs = read(env, 'HOOKLINE_REPLAY_CHUNK_PAUSE', 0, parseDuration);
  const replayPollIntervalMs = read(env, 'HOOKLINE_REPLAY_POLL_INTERVAL', 1_000, parseDuration);
  if (replayPollIntervalMs <= 0) throw new ConfigError('HOOKLINE_REPLAY_POLL_INTERVAL: must be greater than 0');
  const replayLeaseMs = read(env, 'HOOKLINE_REPLAY_LEASE', 30_000, parseDuration);
  if (replayLeaseMs < 1_000) throw new ConfigError('HOOKLINE_REPLAY_LEASE: at least 1s');
  const signup = read(env, 'HOOKLINE_SIGNUP', 'open' as 'open' | 'closed', (raw) => {
    if (raw !== 'open' && raw !== 'closed') throw new Error(`"${raw}" is not open or closed`);
    return raw;
  });
  const trustProxy = read(env, 'HOOKLINE_TRUST_PROXY', false as Config['trustProxy'], parseTrustProxy);
  const otlpEndpoint = read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', undefined, parseUrl(['http:', 'https:']));
  const alertIntervalMs = read(env, 'HOOKLINE_ALERT_INTERVAL', 30_000, parseDuration);
  if (alertIntervalMs <= 0) throw new ConfigError('HOOKLINE_ALERT_INTERVAL: must be greater than 0');
  const alertRetryScheduleMs = read(env, 'HOOKLINE_ALERT_RETRY_SCHEDULE', parseDurationList('10s,1m,5m,30m,2h,6h'), parseDurationList);
  const alertRejectThreshold = read(env, 'HOOKLINE_ALERT_REJECT_THRESHOLD', 10, (raw) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`"${raw}" is not a whole number of at least 1`);
    return n;
  });
  const alertRejectWindowMs = read(env, 'HOOKLINE_ALERT_REJECT_WINDOW', 5 * 60_000, parseDuration);
  if (alertRejectWindowMs <= 0) throw new ConfigError('HOOKLINE_ALERT_REJECT_WINDOW: must be greater than 0');
  const durationOrOff = (raw: string) => (/^(off|0)$/i.test(raw.trim()) ? 0 : parseDuration(raw));
  const alertSilentAfterMs = read(env, 'HOOKLINE_ALERT_SOURCE_SILENT_AFTER', 86_400_000, durationOrOff);
  const alertBacklogAgeMs = read(env, 'HOOKLINE_ALERT_BACKLOG_AGE', 15 * 60_000, durationOrOff);
  const smtpUrl = read(env, 'HOOKLINE_SMTP_URL', undefined, parseUrl(['smtp:', 'smtps:']));
  const alertFrom = read(
    env,
    'HOOKLINE_ALERT_FROM',
    `Hookline <hookline@${new URL(publicUrl).hostname.replace(/^\[|\]$/g, '')}>`,
    (raw) => raw,
  );
  const logLevel = read(env, 'LOG_LEVEL', 'info', (raw) => {
    if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(raw)) {
      throw new Error('use fatal, error, warn, info, debug, trace or silent');
    }
    return raw;
  });
  return {
    port,
    host,
    dataDir,
    databaseUrl,
    redisUrl,
    pgliteSharedBuffers,
    publicUrl,
    secretKey,
    previousSecretKey,
    retryScheduleMs,
    deliveryTimeoutMs,
    maxBodyBytes,
    allowPrivateDestinations,
    sweepIntervalMs,
    redisPrefix,
    ingestBatchSize,
    ingestCommits,
    apiRateLimit,
    ingestRateLimit,
    unknownKeyRateLimit,
    rejectedBodyExcerptBytes,
    tenantStorageBudgetBytes,
    maxJsonDepth,
    retentionMs,
    pruneIntervalMs,
    streamHeartbeatMs,
    workerConcurrency,
    transformTimeoutMs,
    transformMemoryBytes,
    tenantMaxInFlight,
    breaker,
    shutdownTimeoutMs,
    replayChunk,
    replayChunkPauseMs,
    replayPollIntervalMs,
    replayLeaseMs,
    signup,
    trustProxy,
    alertIntervalMs,
    alertRetryScheduleMs,
    alertRejectThreshold,
    alertRejectWindowMs,
    alertSilentAfterMs,
    alertBacklogAgeMs,
    smtpUrl,
    alertFrom,
    logLevel,
    otlpEndpoint,
  };
}

/** The SecretBox every process uses: seals with HOOKLINE_SECRET_KEY, also opens with the previous key. */
export function secretBoxFor(config: Pick<Config, 'secretKey' | 'previousSecretKey'>): SecretBox {
  return new SecretBox(config.secretKey, config.previousSecretKey ? [config.previousSecretKey] : []);
}
