import { Buffer } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { paths } from './api.generated.js';
import { WebhookVerificationError } from './errors.js';
import { DEFAULT_API_URL, type ForwardReport, getListenSecret, type ListenStatus, listen } from './listen.js';
import { isTriggerProvider, providerSignature, sampleTypes, sampleWebhook, TRIGGER_PROVIDERS } from './samples.js';
import { type HeaderRecord, readHeader, verify } from './verify.js';
import { VERSION } from './version.js';

export interface CliIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  stdin: AsyncIterable<Uint8Array | string>;
  env: Record<string, string | undefined>;
  /** Stops a long-running command (`listen`): the bin wires Ctrl-C to it. */
  signal?: AbortSignal;
}

const USAGE = `hookline ${VERSION}: tools for Hookline webhook deliveries

Usage:
  hookline verify --body <file|-> (--headers <file> | -H 'name: value' …) [--secret whsec_…] [--at <time>]
  hookline listen <port|url> --source src_… [--path /webhooks] [--api-key …] [--api-url …]
  hookline trigger <type> --source src_… [--secret <provider secret>] [--api-key …] [--api-url …]
  hookline --version

verify checks a captured delivery the way your endpoint would, and prints its event as JSON
or the precise reason it fails.
  --body <file>      the raw body, byte for byte (- reads standard input)
  --headers <file>   the request headers: a JSON object, or "Name: value" lines as copied
                     from a request log or curl -v (a request line at the top is skipped)
  -H 'name: value'   one header; repeat it (adds to --headers)
  --secret <whsec_…> the destination's signing secret (default: $HOOKLINE_SECRET)
  --at <time>        verify as of this time (unix seconds or ISO 8601) instead of now; a
                     captured request is older than the 5-minute tolerance after a while

Exit status: 0 verified, 1 verification failed, 2 usage error.

listen streams a source's events from Hookline to your local app, no public tunnel needed,
each signed with a local secret (printed first) that your app verifies as in production.
It resumes where it left off after a disconnect, a relay restart or a stopped listener.
Use it instead of a localhost destination, which a Hookline published on the internet refuses.
  <port|url>         3000 (forwards to http://localhost:3000/) or a full URL
  --source <src_…>   the source to listen to
  --path <path>      the path to POST to (default: the URL's own, or /)
  --api-key <key>    a Hookline API key (default: $HOOKLINE_API_KEY)
  --api-url <url>    Hookline's API (default: $HOOKLINE_API_URL, else ${DEFAULT_API_URL})
  --state-file <f>   where the local secret and position are kept (default:
                     $HOOKLINE_LISTEN_STATE, else ~/.config/hookline/listen.json)
  --secret <whsec_…> sign with this secret instead of the saved one
  --print-secret     print the local signing secret and exit

trigger sends a sample provider webhook of <type> through the source, signed as the provider
signs it, so it goes the whole way: verified, stored, delivered, streamed to listen.
  --secret <secret>  the provider signing secret configured on the source
                     (default: $HOOKLINE_SOURCE_SECRET)
  types: ${sampleTypes('mux').join(', ')}
         (FastPix's own names such as video.media.ready work too)
`;

class UsageError extends Error {}

type SourceView = paths['/v1/sources/{id}']['get']['responses'][200]['content']['application/json'];

/** The `hookline` command; resolves to the exit status. */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'verify':
        return await verifyCommand(rest, io);
      case 'listen':
        return await listenCommand(rest, io);
      case 'trigger':
        return await triggerCommand(rest, io);
      case '--version':
      case '-v':
        io.stdout.write(`${VERSION}\n`);
        return 0;
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(USAGE);
        return 0;
      case undefined:
        io.stderr.write(USAGE);
        return 2;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (!(err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) throw err;
    io.stderr.write(`hookline: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
}

/** Where `hookline listen 3000` forwards: a port means localhost; `--path` sets the path. */
export function forwardUrl(target: string, path: string | undefined): string {
  let url: URL;
  if (/^\d{1,5}$/.test(target)) url = new URL(`http://localhost:${target}/`);
  else if (/^[\w.-]+:\d{1,5}(\/.*)?$/.test(target)) url = new URL(`http://${target}`);
  else {
    try {
      url = new URL(target);
    } catch {
      throw new UsageError(`listen expects a port or a URL to forward to, got "${target}"`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`listen forwards over http(s), got "${target}"`);
  }
  if (path !== undefined) url.pathname = path.startsWith('/') ? path : `/${path}`;
  return url.toString();
}

function apiSettings(values: { 'api-key'?: string | undefined; 'api-url'?: string | undefined }, io: CliIO, command: string) {
  const apiKey = values['api-key'] ?? io.env.HOOKLINE_API_KEY;
  if (!apiKey) throw new UsageError(`${command} needs --api-key or the HOOKLINE_API_KEY environment variable`);
  const apiUrl = (values['api-url'] ?? io.env.HOOKLINE_API_URL ?? DEFAULT_API_URL).replace(/\/+$/, '');
  try {
    new URL(apiUrl);
  } catch {
    throw new UsageError(`--api-url must be a URL, got "${apiUrl}"`);
  }
  return { apiKey, apiUrl };
}

function clock(at: Date): string {
  return at.toTimeString().slice(0, 8);
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

/** One line per forward attempt: time, event type, event id, status, duration. */
export function forwardLine(f: ForwardReport): string {
  const outcome = f.status ?? f.error ?? '?';
  let line = `${clock(f.at)}  ${f.event.type}  ${f.event.id}  ${outcome}  ${f.durationMs} ms`;
  if (!f.ok) {
    if (f.retryInMs !== null) line += `  (attempt ${f.attempt}/${f.maxAttempts}, retrying in ${seconds(f.retryInMs)})`;
    else line += `  (attempt ${f.attempt}/${f.maxAttempts}, gave up; moving on)`;
  } else if (f.attempt > 1) line += `  (attempt ${f.attempt})`;
  return `${line}\n`;
}

async function listenCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      source: { type: 'string' },
      path: { type: 'string' },
      'api-key': { type: 'string' },
      'api-url': { type: 'string' },
      'state-file': { type: 'string' },
      secret: { type: 'string' },
      'print-secret': { type: 'boolean' },
    },
    strict: true,
    allowPositionals: true,
  });
  const source = values.source;
  if (!source) throw new UsageError('listen needs --source src_…');
  const stateFile = values['state-file'] ?? io.env.HOOKLINE_LISTEN_STATE;
  if (values['print-secret']) {
    io.stdout.write(`${values.secret ?? (await getListenSecret(source, stateFile ? { stateFile } : {}))}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('listen needs where to forward: a port (3000) or a URL');
  const forwardTo = forwardUrl(positionals[0]!, values.path);
  const { apiKey, apiUrl } = apiSettings(values, io, 'listen');
  if (values.secret !== undefined && !/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(values.secret)) {
    throw new UsageError('--secret must be "whsec_" followed by base64');
  }

  let connected = false;
  const onStatus = (status: ListenStatus) => {
    switch (status.type) {
      case 'started':
        io.stdout.write(
          `Your local signing secret is ${status.secret}${status.secretCreated ? ' (new)' : ''}\n` +
            `  verify deliveries with it, e.g. HOOKLINE_SECRET=${status.secret}; it is kept in ${status.stateFile}\n` +
            `Forwarding events of ${source} to ${status.forwardTo} (Ctrl-C to stop)\n`,
        );
        break;
      case 'connected':
        connected = true;
        io.stderr.write(
          status.resumeFrom
            ? `${status.reconnected ? 'Reconnected' : 'Connected'} to ${apiUrl}; resuming after the last event forwarded\n`
            : `${status.reconnected ? 'Reconnected' : 'Connected'} to ${apiUrl}; waiting for events\n`,
        );
        break;
      case 'skipped':
        io.stderr.write(`Skipped ${status.event.id} (${status.event.type}), not forwarded: ${status.reason}\n`);
        break;
      case 'disconnected':
        io.stderr.write(
          connected
            ? `Connection lost (${status.error}); reconnecting in ${seconds(status.retryInMs)}\n`
            : `Cannot connect to ${apiUrl} (${status.error}); retrying in ${seconds(status.retryInMs)}\n`,
        );
        break;
    }
  };
  try {
    const summary = await listen({
      apiKey,
      apiUrl,
      source,
      forwardTo,
      ...(values.secret ? { secret: values.secret } : {}),
      ...(stateFile ? { stateFile } : {}),
      ...(io.signal ? { signal: io.signal } : {}),
      onStatus,
      onForward: (f) => io.stdout.write(forwardLine(f)),
    });
    io.stderr.write(`Stopped: ${summary.forwarded} forwarded, ${summary.failed} given up on\n`);
    return 0;
  } catch (err) {
    // ListenError (a rejected key, an unknown source) or an unreadable state file.
    if (!(err instanceof Error)) throw err;
    io.stderr.write(`hookline listen: ${err.message}\n`);
    return 1;
  }
}

async function triggerCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      source: { type: 'string' },
      secret: { type: 'string' },
      'api-key': { type: 'string' },
      'api-url': { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  const types = TRIGGER_PROVIDERS.map((p) => `  ${p}: ${sampleTypes(p).join(', ')}`).join('\n');
  if (positionals.length !== 1) throw new UsageError(`trigger needs one event type; samples:\n${types}`);
  const type = positionals[0]!;
  const source = values.source;
  if (!source) throw new UsageError('trigger needs --source src_…');
  const secret = values.secret ?? io.env.HOOKLINE_SOURCE_SECRET;
  if (!secret) {
    throw new UsageError("trigger needs the source's provider signing secret: --secret or the HOOKLINE_SOURCE_SECRET environment variable");
  }
  const { apiKey, apiUrl } = apiSettings(values, io, 'trigger');

  const res = await request(`${apiUrl}/v1/sources/${encodeURIComponent(source)}`, { headers: { authorization: `Bearer ${apiKey}` } }, io);
  if (!res) return 1;
  if (res.status === 401 || res.status === 403) return fail(io, `Hookline rejected the API key (${res.status}${await apiMessage(res)})`);
  if (res.status === 404) return fail(io, `source ${source} was not found at ${apiUrl} for this API key`);
  if (!res.ok) return fail(io, `GET /v1/sources/${source} answered ${res.status}${await apiMessage(res)}`);
  const { provider, ingest_url: ingestUrl } = (await res.json()) as SourceView;
  if (!isTriggerProvider(provider)) {
    return fail(io, `${source} is a ${provider} source; trigger has samples for ${TRIGGER_PROVIDERS.join(' and ')} sources`);
  }
  const sample = sampleWebhook(provider, type);
  if (!sample) throw new UsageError(`no ${provider} sample for "${type}"; samples: ${sampleTypes(provider).join(', ')}`);

  const sent = await request(
    ingestUrl,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': `hookline-trigger/${VERSION}`,
        ...providerSignature(provider, sample.body, secret),
      },
      body: sample.body,
    },
    io,
  );
  if (!sent) return 1;
  if (sent.status === 401) {
    return fail(
      io,
      `the relay rejected the ${provider} signature (401${await apiMessage(sent)}): --secret must be the provider signing secret set on ${source}`,
    );
  }
  if (!sent.ok) return fail(io, `the relay answered ${sent.status}${await apiMessage(sent)}`);
  const answer = (await sent.json()) as { id?: string };
  const native = sample.providerType === sample.type ? '' : ` (${provider}: ${sample.providerType})`;
  io.stdout.write(`✔ sent ${sample.type}${native} through ${source}: event ${answer.id ?? '?'}\n`);
  return 0;
}

async function request(url: string, init: RequestInit, io: CliIO): Promise<Response | undefined> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    io.stderr.write(`hookline: cannot reach ${new URL(url).origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}\n`);
    return undefined;
  }
}

async function apiMessage(res: Response): Promise<string> {
  try {
    const message = ((await res.json()) as { error?: { message?: unknown } }).error?.message;
    return typeof message === 'string' ? `: ${message}` : '';
  } catch {
    return '';
  }
}

function fail(io: CliIO, message: string): number {
  io.stderr.write(`hookline: ${message}\n`);
  return 1;
}

async function verifyCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      body: { type: 'string' },
      headers: { type: 'string' },
      header: { type: 'string', short: 'H', multiple: true },
      secret: { type: 'string' },
      at: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (!values.body) throw new UsageError('verify needs --body <file> (or --body - for standard input)');
  const secret = values.secret ?? io.env.HOOKLINE_SECRET;
  if (!secret) throw new UsageError('verify needs --secret whsec_… or the HOOKLINE_SECRET environment variable');
  const headers: Record<string, string> = {};
  if (values.headers) Object.assign(headers, parseHeaderFile(await readInput(values.headers, io), values.headers));
  for (const line of values.header ?? []) {
    const parsed = parseHeaderLine(line);
    if (!parsed) throw new UsageError(`-H expects 'name: value', got "${line}"`);
    headers[parsed[0]] = parsed[1];
  }
  const now = values.at ? parseTime(values.at) : new Date();
  const body = await readInput(values.body, io);

  let event: unknown;
  try {
    event = verify(body, headers, secret, { now: () => now });
  } catch (err) {
    if (err instanceof TypeError) throw new UsageError(err.message);
    if (!(err instanceof WebhookVerificationError)) throw err;
    io.stderr.write(`✘ verification failed (${err.reason}): ${err.message}\n`);
    for (const hint of diagnose(err, body, headers, secret)) io.stderr.write(`  ${hint}\n`);
    return 1;
  }
  const e = event as { id?: unknown; type?: unknown; provider?: unknown };
  io.stderr.write(`✔ verified ${describe(e)}, signed at ${signedAt(headers)}\n`);
  io.stdout.write(`${JSON.stringify(event, null, 2)}\n`);
  return 0;
}

/** Second looks that turn a failure into what to do about it. */
function diagnose(err: WebhookVerificationError, body: Buffer, headers: HeaderRecord, secret: string): string[] {
  const retry = (b: Buffer, at?: Date) => {
    try {
      verify(b, headers, secret, at ? { now: () => at } : {});
      return true;
    } catch {
      return false;
    }
  };
  if (err.reason === 'timestamp_too_old' || err.reason === 'timestamp_too_new') {
    const ts = readHeader(headers, 'webhook-timestamp')!.trim();
    return retry(body, new Date(Number(ts) * 1000))
      ? [
          'The signature itself is valid: body, headers and secret match.',
          `To check a captured request as of when it was sent, add --at ${ts}.`,
        ]
      : ['The signature does not match either, even as of the request’s own timestamp.'];
  }
  if (err.reason === 'bad_signature') {
    const trimmed = trimTrailingNewlines(body);
    if (trimmed.length < body.length && retry(trimmed)) {
      return ['It matches without the newline at the end of the body file: the file gained one (editors add it). Remove it.'];
    }
    return [
      'Check that the secret is this destination’s signing secret (each destination has its own),',
      'and that the body file holds the exact bytes received: not re-formatted, re-encoded or parsed.',
    ];
  }
  if (err.reason === 'missing_header') return ['Pass all three webhook-* headers with --headers <file> or -H.'];
  return [];
}

function describe(e: { id?: unknown; type?: unknown; provider?: unknown }): string {
  const parts = [typeof e.id === 'string' ? e.id : 'event', typeof e.type === 'string' ? `(${e.type})` : ''];
  if (typeof e.provider === 'string') parts.push(`from ${e.provider}`);
  return parts.filter(Boolean).join(' ');
}

function signedAt(headers: HeaderRecord): string {
  return new Date(Number(readHeader(headers, 'webhook-timestamp')) * 1000).toISOString();
}

async function readInput(path: string, io: CliIO): Promise<Buffer> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
    return Buffer.concat(chunks);
  }
  try {
    return await readFile(path);
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/** A JSON object of headers, or `Name: value` lines (a leading HTTP request or status line is skipped). */
export function parseHeaderFile(content: Buffer, name: string): Record<string, string> {
  const text = content.toString('utf8').trim();
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new UsageError(`${name} looks like JSON but does not parse: ${(err as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new UsageError(`${name} must hold a JSON object of headers`);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value === 'string' || typeof value === 'number') headers[key] = String(value);
      else if (Array.isArray(value)) headers[key] = value.join(', ');
    }
    return headers;
  }
  const headers: Record<string, string> = {};
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    // `curl -v` prefixes request headers with "> ".
    const line = raw.replace(/^> ?/, '').trim();
    if (line === '' || (index === 0 && /^(?:[A-Z]+ \S+ HTTP\/[\d.]+|HTTP\/[\d.]+ \d{3}.*)$/.test(line))) continue;
    const parsed = parseHeaderLine(line);
    if (!parsed) throw new UsageError(`${name} line ${index + 1} is not "Name: value": ${line.slice(0, 80)}`);
    headers[parsed[0]] = parsed[1];
  }
  return headers;
}

function parseHeaderLine(line: string): [string, string] | undefined {
  const colon = line.indexOf(':');
  if (colon <= 0) return undefined;
  const name = line.slice(0, colon).trim();
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) return undefined;
  return [name.toLowerCase(), line.slice(colon + 1).trim()];
}

function parseTime(text: string): Date {
  const date = /^\d+$/.test(text) ? new Date(Number(text) * 1000) : new Date(text);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--at expects unix seconds or an ISO 8601 time, got "${text}"`);
  return date;
}

function trimTrailingNewlines(body: Buffer): Buffer {
  let end = body.length;
  while (end > 0 && (body[end - 1] === 0x0a || body[end - 1] === 0x0d)) end--;
  return body.subarray(0, end);
}
