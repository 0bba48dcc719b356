import { arrivals } from './arrivals.ts';

export interface SseMessage {
  id: string | undefined;
  event: string;
  data: any;
}

/**
 * A Server-Sent Events reader over fetch, for tests: collects messages as they arrive and
 * can be dropped mid-stream (`close`) like a network cut.
 */
export async function openStream(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}: ${await res.text()}`);
  const messages: SseMessage[] = [];
  /** The last `id:` seen, also from blocks without data (the stream's starting position). */
  let lastId: string | undefined;
  const comments: string[] = [];
  const arrival = arrivals(messages, 'stream', 'messages');
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  /** How the stream ended: the server ended it ('end'), or it was cut or aborted ('error'). */
  const done = (async (): Promise<'end' | 'error'> => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return 'end';
        buffer += value;
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          cut = buffer.indexOf('\n\n');
          let id: string | undefined;
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (id !== undefined) lastId = id;
          if (data.length > 0) {
            messages.push({ id, event, data: JSON.parse(data.join('\n')) });
            arrival.arrived();
          }
        }
      }
    } catch {
      return 'error'; // aborted, or the connection was cut
    }
  })();
  return {
    messages,
    comments,
    get lastId() {
      return lastId;
    },
    /** Resolves once `count` messages have arrived (or rejects after `timeoutMs`). */
    waitFor: arrival.waitFor,
    ended: done,
    async close() {
      controller.abort();
      await done;
    },
  };
}
