import { tempDir } from '@hookline/testing';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.ts';

const allowed = (env: Record<string, string>) => loadConfig({ HOOKLINE_DATA_DIR: tempDir(), ...env }).allowPrivateDestinations;

describe('HOOKLINE_ALLOW_PRIVATE_DESTINATIONS default', () => {
  it.each([
    [{}, true],
    [{ HOST: 'localhost' }, true],
    [{ HOST: '::1' }, true],
    [{ HOOKLINE_PUBLIC_URL: 'http://localhost:8080' }, true],
    [{ HOOKLINE_PUBLIC_URL: 'http://[::1]:8080' }, true],
    [{ HOST: '0.0.0.0' }, false],
    [{ HOST: '0.0.0.0', HOOKLINE_PUBLIC_URL: 'http://localhost:8080' }, false],
    // A loopback listener published behind a reverse proxy is not a local instance.
    [{ HOOKLINE_PUBLIC_URL: 'https://hooks.example.com' }, false],
    [{ HOST: '127.0.0.1', HOOKLINE_PUBLIC_URL: 'http://10.0.0.5:8080' }, false],
  ])('%o: %s', (env, expected) => {
    expect(allowed(env as Record<string, string>)).toBe(expected);
  });

  it('follows an explicit setting either way', () => {
    expect(allowed({ HOOKLINE_PUBLIC_URL: 'https://hooks.example.com', HOOKLINE_ALLOW_PRIVATE_DESTINATIONS: 'true' })).toBe(true);
    expect(allowed({ HOOKLINE_ALLOW_PRIVATE_DESTINATIONS: 'false' })).toBe(false);
  });
});
