import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** What `listen` keeps per source between runs. */
export interface SourceState {
  /** The local signing secret forwards are signed with (`whsec_…`). */
  secret: string;
  /**
   * The stream cursor to resume from: where the stream started when it connected, then the
   * last event fully handled (forwarded, or given up on).
   */
  cursor: string | null;
  api_url?: string;
  forward_to?: string;
  updated_at?: string;
}

interface StateFile {
  version: 1;
  sources: Record<string, SourceState>;
}

/** `$XDG_CONFIG_HOME/hookline/listen.json`, else `~/.config/hookline/listen.json` (`%APPDATA%` on Windows). */
export function defaultStateFile(env: Record<string, string | undefined> = process.env): string {
  if (env.HOOKLINE_LISTEN_STATE) return env.HOOKLINE_LISTEN_STATE;
  const base = env.XDG_CONFIG_HOME || (process.platform === 'win32' && env.APPDATA) || join(homedir(), '.config');
  return join(base, 'hookline', 'listen.json');
}

export function newLocalSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

async function readState(path: string): Promise<StateFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return { version: 1, sources: {} };
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    // Rewriting it would drop the other sources' secrets: stop instead.
    throw new Error(`the listen state file ${path} is not valid JSON (${(err as Error).message}); fix or remove it`);
  }
  const sources = (parsed as { sources?: unknown } | null)?.sources;
  if (sources === null || typeof sources !== 'object' || Array.isArray(sources)) {
    throw new Error(`the listen state file ${path} does not hold {"sources": {…}}; fix or remove it`);
  }
  return { version: 1, sources: sources as Record<string, SourceState> };
}

/**
 * One source's entry in the state file. Every save re-reads the file and replaces only this
 * entry, then renames a temporary file over it, so a crash never leaves half a file and other
 * sources' entries (another `listen` may be running) are kept.
 */
export class ListenState {
  readonly path: string;
  readonly source: string;
  #entry: SourceState | undefined;

  constructor(path: string, source: string) {
    this.path = path;
    this.source = source;
  }

  /** Reads the entry, creating the secret on first use. */
  async open(): Promise<{ entry: SourceState; created: boolean }> {
    const file = await readState(this.path);
    const existing = file.sources[this.source];
    if (existing && typeof existing.secret === 'string' && existing.secret.startsWith('whsec_')) {
      this.#entry = {
        ...existing,
        cursor: typeof existing.cursor === 'string' && existing.cursor !== '' ? existing.cursor : null,
      };
      return { entry: this.#entry, created: false };
    }
    this.#entry = { secret: newLocalSecret(), cursor: null };
    await this.save({});
    return { entry: this.#entry, created: true };
  }

  get entry(): SourceState {
    if (!this.#entry) throw new Error('ListenState.open() first');
    return this.#entry;
  }

  async save(patch: Partial<SourceState>): Promise<void> {
    const entry: SourceState = { ...this.entry, ...patch, updated_at: new Date().toISOString() };
    this.#entry = entry;
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const file = await readState(this.path);
    file.sources[this.source] = entry;
    const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    // The file holds signing secrets: readable by its owner only.
    await writeFile(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    try {
      await rename(tmp, this.path);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
  }
}
