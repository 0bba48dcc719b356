import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type StreamMessage } from './api.ts';

export type StreamState = 'connecting' | 'live' | 'reconnecting';

const KINDS = ['request', 'event', 'attempt'] as const;

/**
 * Subscribes to GET /v1/stream (Server-Sent Events, same-origin so the session cookie goes
 * along) and hands messages over in small batches. EventSource resumes from Last-Event-ID
 * by itself after a dropped connection; if the browser gives up (a non-200 answer), this
 * checks the session and opens a new stream from the last id seen.
 */
export function useStream(
  options: {
    sourceId?: string | undefined;
    kinds?: readonly (typeof KINDS)[number][];
    enabled?: boolean;
    /** Once per stream, when it is first connected: from then on nothing is missed. */
    onOpen?: () => void;
  },
  onMessages: (messages: StreamMessage[]) => void,
): StreamState {
  const [state, setState] = useState<StreamState>('connecting');
  const handler = useRef(onMessages);
  handler.current = onMessages;
  const onOpen = useRef(options.onOpen);
  onOpen.current = options.onOpen;
  const kinds = (options.kinds ?? KINDS).join(',');
  const enabled = options.enabled ?? true;

  useEffect(() => {
    if (!enabled) return;
    let source: EventSource | undefined;
    let lastId = '';
    let closed = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let flush: ReturnType<typeof setTimeout> | undefined;
    let pending: StreamMessage[] = [];
    let opened = false;

    const deliver = () => {
      flush = undefined;
      const batch = pending;
      pending = [];
      if (batch.length > 0) handler.current(batch);
    };
    const onMessage = (kind: StreamMessage['kind']) => (e: MessageEvent<string>) => {
      lastId = e.lastEventId || lastId;
      try {
        pending.push({ kind, data: JSON.parse(e.data) } as StreamMessage);
      } catch {
        return;
      }
      flush ??= setTimeout(deliver, 50);
    };

    const open = () => {
      const params = new URLSearchParams({ kinds });
      if (options.sourceId) params.set('source_id', options.sourceId);
      if (lastId) params.set('last_event_id', lastId);
      setState(lastId ? 'reconnecting' : 'connecting');
      const es = new EventSource(`/v1/stream?${params}`);
      source = es;
      es.onopen = () => {
        setState('live');
        if (!opened) onOpen.current?.();
        opened = true;
      };
      for (const kind of KINDS) es.addEventListener(kind, onMessage(kind) as EventListener);
      es.onerror = () => {
        if (closed) return;
        if (es.readyState === EventSource.CLOSED) {
          // The server refused the stream: a lapsed session sends the app to the login page.
          setState('reconnecting');
          es.close();
          api.get('/v1/sources', { query: { limit: 1 } }).then(
            () => {
              if (!closed) retry = setTimeout(open, 2000);
            },
            () => {
              if (!closed) retry = setTimeout(open, 5000);
            },
          );
        } else {
          setState('reconnecting');
        }
      };
    };
    open();
    return () => {
      closed = true;
      source?.close();
      clearTimeout(retry);
      clearTimeout(flush);
    };
  }, [options.sourceId, kinds, enabled]);

  return state;
}
