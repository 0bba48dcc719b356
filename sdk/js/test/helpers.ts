import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@hookline/testing';
import { sign } from '../src/index.ts';

const MUX_FIXTURES = join(REPO_ROOT, 'packages/providers/fixtures/mux');
export const SECRET = 'whsec_aG9va2xpbmUtdGVzdC1kZXN0aW5hdGlvbi1rZXktMzJi';

let counter = 0;

/** A normalized event as the relay sends it (CONTRACT §3), as JSON text. */
export function eventBody(type = 'video.asset.ready', overrides: Record<string, unknown> = {}): string {
  counter++;
  return JSON.stringify({
    id: `evt_test${Date.now()}${counter}`,
    type,
    provider: 'mux',
    source_id: 'src_test',
    occurred_at: '2022-06-27T20:36:38.000Z',
    received_at: new Date().toISOString(),
    object: { type: 'asset', id: 'z3K6DX4yhJJ2CAe7ZcXCuWpNd501wa9axPmtROO5I5tc' },
    environment: { id: 'dvlv0o', name: 'Development' },
    provider_event: { id: crypto.randomUUID(), type },
    data: { id: 'z3K6DX4yhJJ2CAe7ZcXCuWpNd501wa9axPmtROO5I5tc', status: 'ready', playback_ids: [{ id: 'pZRR', policy: 'public' }] },
    ...overrides,
  });
}

/** Body and headers of a delivery signed now, as the relay would send it. */
export function delivery(type?: string, options: { secret?: string; attempt?: number } = {}) {
  const body = eventBody(type);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...sign(body, options.secret ?? SECRET),
    'hookline-attempt': String(options.attempt ?? 1),
  };
  return { body, headers, id: JSON.parse(body).id as string };
}

export function muxFixture(name: string): string {
  return readFileSync(join(MUX_FIXTURES, `${name}.json`), 'utf8');
}
