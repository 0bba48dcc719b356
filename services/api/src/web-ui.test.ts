import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@hookline/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { installErrorHandling } from './errors.ts';
import { installSecurityHeaders } from './security-headers.ts';
import { WEB_UI_CSP, webUi, webUiStaleness } from './web-ui.ts';

function fakeWeb(options: { dist?: boolean; buildScript?: string } = {}) {
  const web = tempDir('hookline-web-');
  mkdirSync(join(web, 'src'));
  writeFileSync(join(web, 'src', 'main.tsx'), 'export {};\n');
  const past = new Date(Date.now() - 60_000);
  utimesSync(join(web, 'src', 'main.tsx'), past, past);
  if (options.dist !== false) {
    mkdirSync(join(web, 'dist', 'assets'), { recursive: true });
    writeFileSync(join(web, 'dist', 'index.html'), '<!doctype html><title>Hookline</title><div id="app"></div>');
    writeFileSync(join(web, 'dist', 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(web, 'dist', 'favicon.svg'), '<svg/>');
    writeFileSync(join(web, 'dist', '.build.json'), JSON.stringify({ startedAt: Date.now(), inputs: ['src'] }));
  }
  if (options.buildScript) {
    mkdirSync(join(web, 'scripts'));
    writeFileSync(join(web, 'scripts', 'build.ts'), options.buildScript);
  }
  return web;
}

describe('webUi', () => {
  let app: FastifyInstance;
  const lines: string[] = [];

  async function serve(web: string, build?: boolean) {
    app = Fastify();
    installErrorHandling(app);
    installSecurityHeaders(app, { https: false });
    app.get('/v1/sources', async () => ({ data: [] }));
    app.get('/healthz', async () => ({ ok: true }));
    await app.register(webUi, { distDir: join(web, 'dist'), build, log: (line) => lines.push(line) });
    await app.ready();
  }

  afterEach(async () => {
    await app?.close();
    lines.length = 0;
  });

  it('serves index.html at / and for app paths, with its own CSP and no caching', async () => {
    await serve(fakeWeb());
    for (const url of ['/', '/sources', '/events/evt_1?x=1']) {
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toBe(WEB_UI_CSP);
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.body).toContain('<div id="app">');
    }
  });

  it('caches hashed assets for a year and revalidates with an ETag', async () => {
    await serve(fakeWeb());
    const res = await app.inject({ url: '/assets/index-abc123.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^(text|application)\/javascript; charset=utf-8$/);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-security-policy']).toBe(WEB_UI_CSP);
    const icon = await app.inject({ url: '/favicon.svg' });
    expect(icon.headers['content-type']).toBe('image/svg+xml');
    expect(icon.headers['cache-control']).toBe('public, max-age=3600');
    const again = await app.inject({ url: '/', headers: { 'if-none-match': (await app.inject({ url: '/' })).headers.etag as string } });
    expect(again.statusCode).toBe(304);
  });

  it('never shadows the API, ingest or health paths, and never serves outside dist', async () => {
    await serve(fakeWeb());
    expect((await app.inject({ url: '/v1/sources' })).json()).toEqual({ data: [] });
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ ok: true });
    for (const url of ['/v1', '/v1/nope', '/in/abc', '/openapi.json', '/readyz', '/assets/missing.js', '/favicon.ico']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code, url).toBe('not_found');
    }
    for (const url of ['/../package.json', '/%2e%2e/%2e%2e/package.json', '/.build.json', '/assets/%00']) {
      expect((await app.inject({ url })).statusCode, url).toBe(404);
    }
    // A climb out of dist is clamped to dist's root: an app path like any other.
    const climb = await app.inject({ url: '/%2e%2e/%2e%2e/etc/passwd' });
    expect(climb.body).toContain('<div id="app">');
    expect((await app.inject({ method: 'POST', url: '/' })).statusCode).toBe(404);
  });

  it('answers a 503 page that says why when the UI is missing and cannot be built', async () => {
    await serve(fakeWeb({ dist: false }), false);
    const res = await app.inject({ url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build -w web');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect((await app.inject({ url: '/v1/sources' })).statusCode).toBe(200);
  });

  it('builds a missing UI in the background, saying so, and serves it once built', async () => {
    const web = fakeWeb({
      dist: false,
      buildScript: `import { mkdirSync, writeFileSync } from 'node:fs';
mkdirSync('dist', { recursive: true });
writeFileSync('dist/index.html', '<p>built</p>');
writeFileSync('dist/.build.json', JSON.stringify({ startedAt: Date.now(), inputs: ['src'] }));
`,
    });
    await serve(web);
    expect(lines).toEqual(['hookline: building the web UI in the background (web/dist is missing)']);
    const first = await app.inject({ url: '/' });
    expect(first.statusCode).toBe(503);
    expect(first.body).toContain('Building the web UI');
    await expect.poll(async () => (await app.inject({ url: '/' })).body, { timeout: 20_000 }).toBe('<p>built</p>');
    expect(webUiStaleness(join(web, 'dist'))).toBeNull();
  });

  it('says in one line why a build failed, and keeps the API up', async () => {
    await serve(
      fakeWeb({ dist: false, buildScript: "console.error('web UI build failed: src/main.tsx: unexpected token'); process.exit(1);\n" }),
    );
    await expect.poll(() => lines.length, { timeout: 20_000 }).toBe(2);
    expect(lines[1]).toContain('web UI build failed: src/main.tsx: unexpected token');
    const res = await app.inject({ url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('unexpected token');
  });

  it('calls dist stale when a source is newer than its build', () => {
    const web = fakeWeb();
    expect(webUiStaleness(join(web, 'dist'))).toBeNull();
    const future = new Date(Date.now() + 60_000);
    utimesSync(join(web, 'src', 'main.tsx'), future, future);
    expect(webUiStaleness(join(web, 'dist'))).toBe('stale');
  });
});
