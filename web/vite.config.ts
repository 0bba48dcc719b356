import { defineConfig } from 'vite';

/**
 * Preact through esbuild's automatic JSX runtime: no Babel, no framework plugin. `npm run
 * dev -w web` proxies the API (and its live stream) to a Hookline process, on
 * HOOKLINE_URL or http://127.0.0.1:8080, so the session cookie stays same-origin.
 */
const api = process.env.HOOKLINE_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    target: 'es2022',
    // One small app: keep the module preload polyfill out (the CSP allows no inline script anyway).
    modulePreload: { polyfill: false },
    sourcemap: true,
    chunkSizeWarningLimit: 300,
  },
  server: {
    port: 5173,
    proxy: {
      '/v1': { target: api, changeOrigin: false },
      '/in': { target: api, changeOrigin: false },
      '/openapi.json': { target: api, changeOrigin: false },
    },
  },
});
