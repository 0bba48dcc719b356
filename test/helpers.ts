import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ApiClient, REPO_ROOT } from '@hookline/testing';

const MUX_FIXTURES = join(REPO_ROOT, 'packages/providers/fixtures/mux');
export const MUX_SECRET = 'mux-test-webhook-secret-0001';

/** A Mux fixture's exact bytes (packages/providers/fixtures). */
export function muxFixture(name: string): string {
  return readFileSync(join(MUX_FIXTURES, `${name}.json`), 'utf8');
}

/** The same fixture with a fresh provider event id, so each send is a new event. */
export function freshMuxEvent(name = 'video.asset.ready', id = crypto.randomUUID()): string {
  return muxFixture(name).replace(/"id": "[0-9a-f-]{36}"/, `"id": "${id}"`);
}

export async function createMuxSource(api: ApiClient, secret = MUX_SECRET) {
  return api.ok('POST', '/v1/sources', { name: 'Mux production', provider: 'mux', verification: { secret } });
}
