import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpAttempts } from './http-attempt.ts';

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const post = async (allowPrivateDestinations: boolean, url: string) => {
  const http = new HttpAttempts({ allowPrivateDestinations });
  try {
    return await http.send({ url, headers: {}, body: '{}', timeoutMs: 2_000 });
  } finally {
    await http.close();
  }
};

describe('HttpAttempts address rules', () => {
  it('refuses loopback by address and by name unless allowed, saying how to receive events locally', async () => {
    for (const url of [`http://127.0.0.1:${port}/`, `http://localhost:${port}/`]) {
      const refused = await post(false, url);
      expect(refused.statusCode, url).toBeNull();
      expect(refused.error, url).toMatch(/private address: .*HOOKLINE_ALLOW_PRIVATE_DESTINATIONS=true.*hookline listen/);
    }
    expect((await post(true, `http://127.0.0.1:${port}/`)).statusCode).toBe(200);
    expect((await post(true, `http://localhost:${port}/`)).statusCode).toBe(200);
  });

  it.each(['http://169.254.169.254/latest/meta-data/', 'http://[::ffff:169.254.169.254]/', 'http://[fd00:ec2::254]/'])(
    'refuses the metadata address in %s even when private destinations are allowed',
    async (url) => {
      const refused = await post(true, url);
      expect(refused).toMatchObject({ statusCode: null, error: expect.stringMatching(/cloud metadata address/) });
    },
  );
});
