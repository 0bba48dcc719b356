import type { Readable } from 'node:stream';

/** An ingest body as read off the wire: whole, or over the limit with its real size. */
export type IngestBody =
  | { kind: 'whole'; bytes: Buffer }
  | {
      kind: 'too_large';
      /** The body's first bytes (up to `headBytes`), for the request log's excerpt. */
      head: Buffer;
      /** Bytes the body had: declared by content-length, or counted while draining. */
      size: number;
      /** The drain stopped at its cap: the body has more than `size` bytes. */
      atLeast: boolean;
      /** Part of the body is still unread: the connection cannot carry another request. */
      unread: boolean;
    };

export interface BodyLimits {
  maxBytes: number;
  /** How much of an oversize body to keep as its head. */
  headBytes: number;
  /** Past the limit, how many more bytes to read (and count) before giving up. */
  drainBytes: number;
  /** Past the limit, how long to keep reading before giving up. */
  drainMs: number;
}

/**
 * Reads a request body of at most `maxBytes`. Past the limit it keeps only the head and
 * goes on counting what arrives, up to `drainBytes` more or `drainMs`, so a chunked body
 * (no content-length) is logged with its real size, or a lower bound. A declared
 * content-length over the limit is believed and nothing is read.
 */
export function readIngestBody(stream: Readable, declaredLength: number | undefined, limits: BodyLimits): Promise<IngestBody> {
  if (declaredLength !== undefined && declaredLength > limits.maxBytes) {
    return Promise.resolve({ kind: 'too_large', head: Buffer.alloc(0), size: declaredLength, atLeast: false, unread: true });
  }
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    let head: Buffer | undefined;
    let drainTimer: NodeJS.Timeout | undefined;

    const settle = (result: IngestBody | Error) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      clearTimeout(drainTimer);
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const tooLarge = (atLeast: boolean): IngestBody => ({
      kind: 'too_large',
      head: head ?? Buffer.alloc(0),
      size,
      atLeast,
      unread: atLeast,
    });
    const stop = () => {
      // Leave the rest unread: the reply closes the connection.
      stream.pause();
      settle(tooLarge(true));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (head === undefined) {
        if (size <= limits.maxBytes) {
          chunks.push(chunk);
          return;
        }
        head = Buffer.concat([...chunks, chunk]).subarray(0, limits.headBytes);
        head = Buffer.from(head);
        chunks = [];
        drainTimer = setTimeout(stop, limits.drainMs);
      }
      if (size > limits.maxBytes + limits.drainBytes) stop();
    };
    const onEnd = () => settle(head === undefined ? { kind: 'whole', bytes: Buffer.concat(chunks, size) } : tooLarge(false));
    const onError = (err: Error) => settle(Object.assign(err, { statusCode: 400 }));
    const onClose = () => settle(Object.assign(new Error('the request body was not received in full'), { statusCode: 400 }));

    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}
