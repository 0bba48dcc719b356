/** One dispatched Server-Sent Events message. */
export interface SseMessage {
  /** The `event:` field; `message` when absent. */
  event: string;
  /** The `data:` lines joined with newlines. */
  data: string;
  /** The last event id as of this message (the stream's `lastEventId`), if any was ever set. */
  id: string | undefined;
}

export type SseItem =
  | { kind: 'message'; message: SseMessage }
  /** A block with an `id:` but no data: the position moved without a message. */
  | { kind: 'id'; id: string }
  | { kind: 'retry'; ms: number }
  | { kind: 'comment'; text: string };

/**
 * An incremental parser of `text/event-stream`, as the WHATWG HTML standard specifies it:
 * UTF-8 with an optional BOM, lines ending in CRLF, LF or CR (a CRLF may be split across
 * chunks), `:` comments, `field: value` with one optional space, multi-line `data`, `id`
 * values with NUL ignored, and messages dispatched on a blank line only when they carry data.
 */
export class SseParser {
  #decoder = new TextDecoder('utf-8');
  #buffer = '';
  #start = true;
  #skipLf = false;
  #data: string[] = [];
  #hasData = false;
  #event = '';
  #lastEventId: string | undefined;
  #idInBlock = false;

  /** Feeds a chunk of bytes (or text); returns what it completed. */
  push(chunk: Uint8Array | string): SseItem[] {
    let text = typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    if (this.#start && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.#start = false;
    }
    const out: SseItem[] = [];
    this.#buffer += text;
    let pos = 0;
    const buffer = this.#buffer;
    while (pos < buffer.length) {
      if (this.#skipLf) {
        this.#skipLf = false;
        if (buffer.charCodeAt(pos) === 0x0a) {
          pos++;
          continue;
        }
      }
      let end = pos;
      while (end < buffer.length) {
        const c = buffer.charCodeAt(end);
        if (c === 0x0a || c === 0x0d) break;
        end++;
      }
      if (end === buffer.length) break; // an unfinished line: wait for more
      this.#line(buffer.slice(pos, end), out);
      if (buffer.charCodeAt(end) === 0x0d) this.#skipLf = true;
      pos = end + 1;
    }
    this.#buffer = buffer.slice(pos);
    return out;
  }

  /** The last event id seen so far (`id:` fields persist across messages, as in EventSource). */
  get lastEventId(): string | undefined {
    return this.#lastEventId;
  }

  #line(line: string, out: SseItem[]): void {
    if (line === '') {
      this.#dispatch(out);
      return;
    }
    if (line.charCodeAt(0) === 0x3a) {
      out.push({ kind: 'comment', text: line.slice(1).trimStart() });
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    switch (field) {
      case 'event':
        this.#event = value;
        break;
      case 'data':
        this.#data.push(value);
        this.#hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) {
          this.#lastEventId = value;
          this.#idInBlock = true;
        }
        break;
      case 'retry':
        if (/^\d+$/.test(value)) out.push({ kind: 'retry', ms: Number(value) });
        break;
      default:
        break; // unknown fields are ignored
    }
  }

  #dispatch(out: SseItem[]): void {
    const idInBlock = this.#idInBlock;
    this.#idInBlock = false;
    if (!this.#hasData) {
      this.#event = '';
      if (idInBlock && this.#lastEventId !== undefined) out.push({ kind: 'id', id: this.#lastEventId });
      return;
    }
    out.push({ kind: 'message', message: { event: this.#event || 'message', data: this.#data.join('\n'), id: this.#lastEventId } });
    this.#data = [];
    this.#hasData = false;
    this.#event = '';
  }
}
