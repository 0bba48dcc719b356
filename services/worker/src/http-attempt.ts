import { isIP } from 'node:net';
import { guardedLookup, refusalReason, refuseAddress } from '@hookline/core';
import { Agent, request } from 'undici';

export interface AttemptRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export interface AttemptResult {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  responseExcerpt: string | null;
  retryAfter: string | undefined;
}

const EXCERPT_BYTES = 2048;

/**
 * One HTTP POST to a destination. Never follows redirects (a 3xx is a failed attempt:
 * following could carry the signed body somewhere the tenant did not name), never throws:
 * every outcome is an AttemptResult to record.
 */
export class HttpAttempts {
  readonly #agent: Agent;
  readonly #allowPrivate: boolean;

  constructor(options: { allowPrivateDestinations: boolean }) {
    this.#allowPrivate = options.allowPrivateDestinations;
    this.#agent = new Agent({
      connections: 64,
      keepAliveTimeout: 10_000,
      // Always guarded: with private destinations allowed, metadata addresses are still refused.
      connect: { lookup: guardedLookup({ allowPrivate: this.#allowPrivate }) },
    });
  }

  async send(req: AttemptRequest): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const url = new URL(req.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported protocol ${url.protocol}`);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const refusal = isIP(host) ? refuseAddress(host, this.#allowPrivate) : undefined;
      if (refusal) throw new Error(`${host} is ${refusalReason(refusal)}`);
      const response = await request(url, {
        method: 'POST',
        headers: req.headers,
        body: req.body,
        dispatcher: this.#agent,
        signal: AbortSignal.timeout(req.timeoutMs),
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      });
      const excerpt = await readExcerpt(response.body);
      const retryAfter = response.headers['retry-after'];
      return {
        statusCode: response.statusCode,
        error: null,
        durationMs: elapsed(),
        responseExcerpt: excerpt,
        retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
      };
    } catch (err) {
      return {
        statusCode: null,
        error: describeError(err, req.timeoutMs),
        durationMs: elapsed(),
        responseExcerpt: null,
        retryAfter: undefined,
      };
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

async function readExcerpt(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= EXCERPT_BYTES) break;
    }
  } catch {
    // a response cut off midway still gets its first bytes recorded
  } finally {
    body.destroy();
  }
  if (size === 0) return null;
  return Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8');
}

function describeError(err: unknown, timeoutMs: number): string {
  const e = err as Error & { code?: string; cause?: Error & { code?: string } };
  if (e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT') {
    return `timeout: no response within ${timeoutMs} ms`;
  }
  const code = e.code ?? e.cause?.code;
  const message = e.cause?.message ?? e.message;
  return code ? `${code}: ${message}` : message;
}
