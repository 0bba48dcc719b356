import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { forwardLine, forwardUrl, runCli } from '../src/cli.ts';
import { type HooklineEvent, sign } from '../src/index.ts';
import { VERSION } from '../src/version.ts';
import { eventBody, SECRET } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'hookline-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function file(content: string | Buffer): string {
  const path = join(dir, `f${++files}`);
  writeFileSync(path, content);
  return path;
}

async function run(args: string[], options: { env?: Record<string, string>; stdin?: string } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    env: options.env ?? {},
  });
  return { code, stdout, stderr };
}

/** A captured delivery: its body file and its headers as "Name: value" lines. */
function captured(when = new Date()) {
  const body = eventBody('video.asset.ready');
  const headers = sign(body, SECRET, { timestamp: when });
  const headerText = [
    'POST /webhooks/hookline HTTP/1.1',
    'Host: example.test',
    'Content-Type: application/json',
    `Webhook-Id: ${headers['webhook-id']}`,
    `Webhook-Timestamp: ${headers['webhook-timestamp']}`,
    `Webhook-Signature: ${headers['webhook-signature']}`,
  ].join('\r\n');
  return { body, headers, bodyFile: file(body), headersFile: file(headerText) };
}

describe('hookline verify', () => {
  it('prints the verified event as JSON, and a summary on stderr', async () => {
    const { body, bodyFile, headersFile, headers } = captured();
    const result = await run(['verify', '--body', bodyFile, '--headers', headersFile, '--secret', SECRET]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(body));
    expect(result.stderr).toContain(`✔ verified ${headers['webhook-id']} (video.asset.ready) from mux, signed at`);
  });

  it('takes headers as a JSON object, as -H flags, or as curl -v output, and the secret from HOOKLINE_SECRET', async () => {
    const { bodyFile, headers } = captured();
    const json = await run(['verify', '--body', bodyFile, '--headers', file(JSON.stringify(headers))], {
      env: { HOOKLINE_SECRET: SECRET },
    });
    expect(json.code).toBe(0);
    const flags = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
    expect((await run(['verify', '--body', bodyFile, ...flags, '--secret', SECRET])).code).toBe(0);
    const curl = Object.entries(headers)
      .map(([k, v]) => `> ${k}: ${v}`)
      .join('\n');
    expect(
      (await run(['verify', '--body', bodyFile, '--headers', file(`> POST /hook HTTP/1.1\n${curl}\n>`), '--secret', SECRET])).code,
    ).toBe(0);
  });

  it('reads the body from standard input with --body -', async () => {
    const { body, headersFile } = captured();
    const result = await run(['verify', '--body', '-', '--headers', headersFile, '--secret', SECRET], { stdin: body });
    expect(result.code).toBe(0);
  });

  it('says a captured request is too old, that its signature is fine, and how to check it as of then', async () => {
    const then = new Date(Date.now() - 3 * 86_400_000);
    const { bodyFile, headersFile, headers } = captured(then);
    const args = ['verify', '--body', bodyFile, '--headers', headersFile, '--secret', SECRET];
    const stale = await run(args);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/✘ verification failed \(timestamp_too_old\): webhook-timestamp is \d+ s in the past/);
    expect(stale.stderr).toContain('The signature itself is valid');
    expect(stale.stderr).toContain(`add --at ${headers['webhook-timestamp']}`);
    expect(stale.stdout).toBe('');
    expect((await run([...args, '--at', headers['webhook-timestamp']])).code).toBe(0);
    expect((await run([...args, '--at', then.toISOString()])).code).toBe(0);
  });

  it('gives the precise reason for a wrong secret, and spots a body file that gained a newline', async () => {
    const { body, bodyFile, headersFile } = captured();
    const wrong = await run(['verify', '--body', bodyFile, '--headers', headersFile, '--secret', 'whsec_b3RoZXIgc2VjcmV0']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('✘ verification failed (bad_signature)');
    expect(wrong.stderr).toContain('each destination has its own');
    const newline = await run(['verify', '--body', file(`${body}\n`), '--headers', headersFile, '--secret', SECRET]);
    expect(newline.code).toBe(1);
    expect(newline.stderr).toContain('It matches without the newline at the end of the body file');
  });

  it('names a missing header', async () => {
    const { bodyFile, headers } = captured();
    const result = await run(['verify', '--body', bodyFile, '-H', `webhook-id: ${headers['webhook-id']}`, '--secret', SECRET]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('✘ verification failed (missing_header): the webhook-timestamp header is missing');
  });

  it('exits 2 with usage for missing or bad arguments', async () => {
    const { bodyFile, headersFile } = captured();
    for (const args of [
      ['verify', '--headers', headersFile, '--secret', SECRET],
      ['verify', '--body', bodyFile, '--headers', headersFile],
      ['verify', '--body', bodyFile, '--headers', headersFile, '--secret', 'not a secret'],
      ['verify', '--body', join(dir, 'missing'), '--headers', headersFile, '--secret', SECRET],
      ['verify', '--body', bodyFile, '--headers', file('not a header line'), '--secret', SECRET],
      ['verify', '--body', bodyFile, '--headers', headersFile, '--secret', SECRET, '--at', 'yesterday'],
      ['verify', '--bogus'],
      ['frobnicate'],
      [],
    ]) {
      const result = await run(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('Usage:');
    }
  });
});

describe('hookline listen and trigger', () => {
  it('forward to a port on localhost, host:port, or a URL; --path sets the path', () => {
    expect(forwardUrl('3000', undefined)).toBe('http://localhost:3000/');
    expect(forwardUrl('3000', '/webhooks/hookline')).toBe('http://localhost:3000/webhooks/hookline');
    expect(forwardUrl('3000', 'webhooks')).toBe('http://localhost:3000/webhooks');
    expect(forwardUrl('127.0.0.1:4000/hooks', undefined)).toBe('http://127.0.0.1:4000/hooks');
    expect(forwardUrl('https://app.example.test/in?x=1', '/hook')).toBe('https://app.example.test/hook?x=1');
  });

  it('prints one line per forward attempt: time, type, id, status, duration', () => {
    const at = new Date(2026, 10, 23, 9, 5, 7);
    const base = { event: { id: 'evt_1', type: 'video.asset.ready' } as HooklineEvent, maxAttempts: 4, at, durationMs: 12 };
    expect(forwardLine({ ...base, attempt: 1, status: 200, error: null, ok: true, retryInMs: null })).toBe(
      '09:05:07  video.asset.ready  evt_1  200  12 ms\n',
    );
    expect(forwardLine({ ...base, attempt: 1, status: null, error: 'ECONNREFUSED', ok: false, retryInMs: 1000 })).toBe(
      '09:05:07  video.asset.ready  evt_1  ECONNREFUSED  12 ms  (attempt 1/4, retrying in 1 s)\n',
    );
    expect(forwardLine({ ...base, attempt: 4, status: 500, error: 'HTTP 500', ok: false, retryInMs: null })).toContain(
      '500  12 ms  (attempt 4/4, gave up; moving on)',
    );
  });

  it('keeps one local secret per source in the state file: --print-secret shows it', async () => {
    const stateFile = join(dir, 'state', 'listen.json');
    const first = await run(['listen', '--source', 'src_a', '--print-secret', '--state-file', stateFile]);
    expect(first).toMatchObject({ code: 0, stdout: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=\n$/) });
    expect((await run(['listen', '--source', 'src_a', '--print-secret'], { env: { HOOKLINE_LISTEN_STATE: stateFile } })).stdout).toBe(
      first.stdout,
    );
    const other = await run(['listen', '--source', 'src_b', '--print-secret', '--state-file', stateFile]);
    expect(other.stdout).not.toBe(first.stdout);
    expect(Object.keys(JSON.parse(readFileSync(stateFile, 'utf8')).sources)).toEqual(['src_a', 'src_b']);
  });

  it('exits 2 with usage for missing or bad arguments', async () => {
    const env = { HOOKLINE_API_KEY: 'hl_key', HOOKLINE_SOURCE_SECRET: 's' };
    for (const [args, message] of [
      [['listen', '3000'], 'listen needs --source'],
      [['listen', '--source', 'src_1'], 'listen needs where to forward'],
      [['listen', 'ftp://x', '--source', 'src_1'], 'listen forwards over http(s)'],
      [['listen', '3000', '--source', 'src_1', '--secret', 'nope'], '--secret must be'],
      [['trigger', '--source', 'src_1'], 'mux: video.asset.created, video.asset.ready'],
      [['trigger', 'video.asset.ready'], 'trigger needs --source'],
      [['trigger', 'video.asset.ready', '--bogus'], 'Unknown option'],
    ] as const) {
      const result = await run([...args], { env });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain('Usage:');
    }
    expect((await run(['listen', '3000', '--source', 'src_1'])).stderr).toContain('listen needs --api-key or the HOOKLINE_API_KEY');
    expect((await run(['trigger', 'video.asset.ready', '--source', 'src_1'], { env: { HOOKLINE_API_KEY: 'k' } })).stderr).toContain(
      'HOOKLINE_SOURCE_SECRET',
    );
  });
});

describe('hookline', () => {
  it('prints its version and help', async () => {
    expect(await run(['--version'])).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
    const help = (await run(['--help'])).stdout;
    expect(help).toContain('hookline verify --body');
    expect(help).toContain('hookline listen <port|url> --source src_…');
    expect(help).toContain('hookline trigger <type> --source src_…');
  });
});
