import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readIngestBody } from './body-reader.ts';

const limits = { maxBytes: 1000, headBytes: 10, drainBytes: 5000, drainMs: 10_000 };

function sendChunks(stream: PassThrough, sizes: number[]) {
  for (const n of sizes) stream.write(Buffer.alloc(n, 'a'));
  stream.end();
}

describe('readIngestBody', () => {
  it('reads a body within the limit whole', async () => {
    const stream = new PassThrough();
    const read = readIngestBody(stream, undefined, limits);
    sendChunks(stream, [400, 600]);
    const body = await read;
    expect(body.kind).toBe('whole');
    expect(body.kind === 'whole' && body.bytes.length).toBe(1000);
  });

  it('counts the real size of a chunked body over the limit, keeping only its head', async () => {
    const stream = new PassThrough();
    const read = readIngestBody(stream, undefined, limits);
    sendChunks(stream, [700, 700, 700]);
    expect(await read).toEqual({ kind: 'too_large', head: Buffer.alloc(10, 'a'), size: 2100, atLeast: false, unread: false });
  });

  it('stops counting at the drain cap and says the size is a lower bound', async () => {
    const stream = new PassThrough();
    const read = readIngestBody(stream, undefined, limits);
    for (let i = 0; i < 10; i++) stream.write(Buffer.alloc(1000));
    const body = await read;
    expect(body).toMatchObject({ kind: 'too_large', atLeast: true, unread: true });
    expect(body.kind === 'too_large' && body.size).toBeGreaterThan(6000);
  });

  it('stops counting when the drain takes too long', async () => {
    const stream = new PassThrough();
    const read = readIngestBody(stream, undefined, { ...limits, drainMs: 50 });
    stream.write(Buffer.alloc(1500));
    expect(await read).toMatchObject({ kind: 'too_large', size: 1500, atLeast: true, unread: true });
  });

  it('believes a declared content-length over the limit and reads nothing', async () => {
    const stream = new PassThrough();
    expect(await readIngestBody(stream, 5_000_000, limits)).toMatchObject({
      kind: 'too_large',
      size: 5_000_000,
      atLeast: false,
      unread: true,
    });
  });
});
