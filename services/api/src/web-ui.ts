import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, posix } from 'node:path';
import { pathToFileURL } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

export interface WebUiOptions {
  /** The built UI (web/dist). */
  distDir: string;
  /**
   * Build the UI in the background when distDir is missing or older than its sources. By
   * default, when the sources and the dev tools are there (web/scripts/build.ts beside
   * distDir, and tsx): a clone run with `npm start`, never a production install.
   */
  build?: boolean;
  /** Where the one line about a build goes (default: stdout). */
  log?: (line: string) => void;
}

/** Paths the UI never answers: the API, ingest and the operational endpoints keep their own 404s. */
const RESERVED = /^\/(?:v1(?:\/|$)|in(?:\/|$)|openapi\.json$|healthz$|readyz$)/;

/** The app loads only its own files and talks only to its own origin (API and live stream). */
export const WEB_UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
/** The start time in dist's stamp (web/scripts/build.ts writes it), or "none". */
function stampOf(distDir: string): string {
  try {
    return String(JSON.parse(readFileSync(join(distDir, '.build.json'), 'utf8')).startedAt ?? 'none');
  } catch {
    return 'none';
  }
}

/** Build logs of servers that exited before their build did. */
function removeOldLogs(scratch: string) {
  for (const name of readdirSync(scratch)) {
    const path = join(scratch, name);
    if (name.startsWith('server-') && name.endsWith('.log') && Date.now() - statSync(path).mtimeMs > 3_600_000)
      rmSync(path, { force: true });
  }
}

/** Whether a live process holds web/scripts/build.ts's lock. */
function buildRunning(scratch: string): boolean {
  try {
    const { pid, at } = JSON.parse(readFileSync(join(scratch, 'build.lock'), 'utf8')) as { pid: number; at: number };
    if (Date.now() - at > 10 * 60_000) return false;
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a package is installed (tsx, a dev dependency, is not in a production install). */
function resolves(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
}

/** The stand-in page while the UI is missing: its own inline style and nothing else. */
const PLACEHOLDER_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

type UiState = { kind: 'ready' } | { kind: 'building' } | { kind: 'failed'; message: string } | { kind: 'absent'; message: string };

const DEFAULT_INPUTS = ['src', 'index.html', 'vite.config.ts', 'package.json'];

/** The newest modification time among the build's inputs (generated files and tests aside). */
function newestInput(webDir: string, inputs: readonly string[]): number {
  let newest = 0;
  const visit = (path: string) => {
    let info: ReturnType<typeof statSync>;
    try {
      info = statSync(path);
    } catch {
      return;
    }
    if (info.isDirectory()) {
      for (const name of readdirSync(path)) {
        if (name.startsWith('.') || name === 'node_modules' || name.includes('.generated.') || name.endsWith('.test.ts')) continue;
        visit(join(path, name));
      }
    } else if (info.mtimeMs > newest) newest = info.mtimeMs;
  };
  for (const input of inputs) visit(join(webDir, input));
  return newest;
}

/** Why distDir needs a build: missing, older than its sources, or fine (null). */
export function webUiStaleness(distDir: string): 'missing' | 'stale' | null {
  const index = join(distDir, 'index.html');
  if (!existsSync(index)) return 'missing';
  let builtAt = statSync(index).mtimeMs;
  let inputs = DEFAULT_INPUTS;
  try {
    const stamp = JSON.parse(readFileSync(join(distDir, '.build.json'), 'utf8')) as { startedAt?: number; inputs?: string[] };
    if (typeof stamp.startedAt === 'number') builtAt = stamp.startedAt;
    if (Array.isArray(stamp.inputs)) inputs = stamp.inputs;
  } catch {
    // Built by something else (a plain `vite build` for a CDN): judge by index.html's time.
  }
  return newestInput(dirname(distDir), inputs) > builtAt ? 'stale' : null;
}

function placeholder(title: string, body: string, refresh: boolean): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${
    refresh ? '<meta http-equiv="refresh" content="2">' : ''
  }<title>Hookline</title><style>body{font:15px/1.5 system-ui,sans-serif;max-width:40rem;margin:15vh auto;padding:0 1.5rem;color:#1f2328;background:#fff}
@media (prefers-color-scheme:dark){body{color:#e6e8eb;background:#0d1014}}code,pre{font:13px ui-monospace,monospace}pre{white-space:pre-wrap;opacity:.8}</style></head>
<body><h1>${title}</h1>${body}<p>The API is up meanwhile: <a href="/openapi.json">/openapi.json</a>, <code>/v1</code>.</p></body></html>`;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Serves the web UI (web/dist) at `/`: files as they are, hashed assets cached for a year,
 * index.html revalidated every time and answered for every other GET path the API does not
 * own (the app routes in the URL hash, so this only catches typed or old links). When the
 * bundle is missing or older than web/src, it is rebuilt in the background (`npm run build
 * -w web`); meanwhile `/` answers a 503 page that says so and reloads itself, and if the
 * build fails, the older bundle if there is one, else a 503 page that says why.
 */
export async function webUi(app: FastifyInstance, options: WebUiOptions) {
  const distDir = options.distDir.replace(/[\\/]+$/, '');
  // Files are sent by @fastify/static (content types, ETags, ranges, path checks); the
  // routing (SPA fallback, reserved paths, the placeholder while building) is ours.
  await app.register(fastifyStatic, { serve: false });
  const webDir = dirname(distDir);
  const log = options.log ?? ((line: string) => console.log(line));
  const buildScript = join(webDir, 'scripts', 'build.ts');
  const canBuild = options.build ?? (existsSync(buildScript) && resolves('tsx'));
  const scratch = join(webDir, 'node_modules', '.hookline-build');
  let state: UiState = { kind: 'ready' };
  let announced = false;
  const announce = (line: string) => {
    if (!announced) log(line);
    announced = true;
  };

  const failed = (message: string) => {
    state = { kind: 'failed', message };
    const lines = message.split('\n');
    const line = lines.find((l) => l.startsWith('web UI build failed')) ?? lines.at(-1);
    log(`hookline: the web UI could not be built (the API works; "npm run build -w web" shows why): ${line}`);
  };

  const build = (why: 'missing' | 'stale') => {
    state = { kind: 'building' };
    // Another process (a second server, a test run) is building: wait for it, then look again.
    if (buildRunning(scratch)) {
      announce('hookline: waiting for the web UI build another process is running');
      setTimeout(ensure, 500).unref();
      return;
    }
    announce(
      `hookline: building the web UI in the background (${why === 'missing' ? 'web/dist is missing' : 'web/dist is older than web/src'})`,
    );
    mkdirSync(scratch, { recursive: true });
    removeOldLogs(scratch);
    const logFile = join(scratch, `server-${process.pid}-${Date.now()}.log`);
    const fd = openSync(logFile, 'w');
    // A log file rather than a pipe: the build finishes even if this process exits first.
    // tsx as this process resolves it, so the build runs wherever web/ is.
    const child = spawn(
      process.execPath,
      [
        '--import',
        pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href,
        buildScript,
        '--quiet',
        '--if-stamp',
        stampOf(distDir),
      ],
      {
        cwd: webDir,
        stdio: ['ignore', fd, fd],
      },
    );
    closeSync(fd);
    child.unref();
    child.on('error', (err) => failed(err.message));
    child.on('exit', (code, signal) => {
      let output = '';
      try {
        output = readFileSync(logFile, 'utf8').trim();
        rmSync(logFile, { force: true });
      } catch {}
      if (code === 0) {
        state = { kind: 'ready' };
      } else {
        failed(output.split('\n').slice(-20).join('\n') || `the build exited with ${signal ?? code}`);
      }
    });
  };

  function ensure() {
    const why = webUiStaleness(distDir);
    if (!why) state = { kind: 'ready' };
    else if (canBuild) build(why);
    else if (why === 'missing') state = { kind: 'absent', message: `${distDir} does not exist and its sources are not here to build it.` };
  }
  ensure();

  const sendPlaceholder = (reply: FastifyReply) => {
    reply.code(503).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store');
    reply.header('content-security-policy', PLACEHOLDER_CSP);
    if (state.kind === 'building') {
      return reply
        .header('retry-after', '2')
        .send(placeholder('Building the web UI…', '<p>This takes a few seconds the first time. This page reloads by itself.</p>', true));
    }
    const message = state.kind === 'failed' || state.kind === 'absent' ? state.message : 'web/dist is missing.';
    return reply.send(
      placeholder(
        'The web UI is not available',
        `<p>Hookline could not find or build its web UI. Run <code>npm run build -w web</code> in the repository and reload.</p><pre>${escapeHtml(message)}</pre>`,
        false,
      ),
    );
  };

  // Headers a file answer carries besides @fastify/static's own (content type, ETag, 304s).
  const sendFile = (reply: FastifyReply, file: string, cache: 'hashed' | 'plain' | 'index') => {
    reply.header('content-security-policy', WEB_UI_CSP);
    if (cache === 'index') reply.header('cache-control', 'no-cache');
    return reply.sendFile(file, distDir, {
      cacheControl: cache !== 'index',
      // A hashed name changes with its content, so it can be kept forever.
      maxAge: cache === 'hashed' ? '365d' : '1h',
      immutable: cache === 'hashed',
      lastModified: false,
      dotfiles: 'ignore',
    });
  };

  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0] as string;
    if (RESERVED.test(path)) return reply.callNotFound();
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return reply.callNotFound();
    }
    const relative = posix.normalize(decoded);
    if (decoded.includes('\0') || relative.split('/').some((part) => part.startsWith('.'))) return reply.callNotFound();

    // While a build runs, the bundle on disk is out of date: say so rather than serve it.
    // After a failed build an older bundle beats none.
    if (state.kind === 'building' || !existsSync(join(distDir, 'index.html'))) return sendPlaceholder(reply);
    // A file name (an extension, or anything under /assets/) is served or is a 404; any
    // other path is an app route, answered with index.html.
    if (relative.startsWith('/assets/') || extname(relative)) {
      return sendFile(reply, relative.slice(1), relative.startsWith('/assets/') ? 'hashed' : 'plain');
    }
    return sendFile(reply, 'index.html', 'index');
  });
}
