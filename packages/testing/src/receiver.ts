import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { arrivals } from './arrivals.ts';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What the receiver does with the n-th request (0-based): a status, or hang until closed. */
export type Respond = (
  n: number,
  req: Received,
) => { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } | 'hang';

/**
 * A real HTTP destination on a spare loopback port: it records every request and answers
 * as the test scripts it, so retries, timeouts and redirects are exercised over real HTTP.
 */
export async function startReceiver(respond: Respond = () => ({ status: 200 })) {
  const received: Received[] = [];
  const hanging = new Set<ServerResponse>();
  const arrival = arrivals(received, 'receiver', 'requests');
  let script = respond;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      const n = received.length;
      received.push(entry);
      arrival.arrived();
      const answer = script(n, entry);
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      const reply = () => {
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? '');
      };
      if (answer.delayMs) setTimeout(reply, answer.delayMs);
      else reply();
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    /** Change how later requests are answered. */
    respondWith(next: Respond) {
      script = next;
    },
    /** Resolves once `count` requests have arrived (or rejects after `timeoutMs`). */
    waitFor: arrival.waitFor,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
