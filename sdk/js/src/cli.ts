import { Buffer } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { WebhookVerificationError } from './errors.js';
import { type HeaderRecord, readHeader, verify } from './verify.js';
import { VERSION } from './version.js';

export interface CliIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  stdin: AsyncIterable<Uint8Array | string>;
  env: Record<string, string | undefined>;
}

const USAGE = `hookline ${VERSION}: tools for Hookline webhook deliveries

Usage:
  hookline verify --body <file|-> (--headers <file> | -H 'name: value' …) [--secret whsec_…] [--at <time>]
  hookline listen     (not available yet)
  hookline trigger    (not available yet)
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
`;

const NOT_YET = (command: string) =>
  `hookline ${command} is not available in @hookline/sdk ${VERSION}.\n` +
  `It needs Hookline's event streaming API, which a later version adds.\n` +
  'Until then, point a destination at a URL your endpoint answers on, and check captured deliveries with `hookline verify`.\n';

class UsageError extends Error {}

/** The `hookline` command; resolves to the exit status. */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'verify':
        return await verifyCommand(rest, io);
      case 'listen':
      case 'trigger':
        io.stderr.write(NOT_YET(command));
        return 1;
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
