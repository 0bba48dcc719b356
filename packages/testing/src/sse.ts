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
  const waiters: { count: number; resolve: () => void }[] = [];
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const done = (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
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
            for (const w of waiters.filter((w) => messages.length >= w.count)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve();
            }
          }
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    messages,
    comments,
    get lastId() {
      return lastId;
    },
    waitFor(count: number, timeoutMs = 20_000): Promise<void> {
      if (messages.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`stream got ${messages.length} of ${count} messages in ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    async close() {
      controller.abort();
      await done;
    },
  };
}
