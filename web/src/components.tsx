import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './api.ts';
import { prettyJson } from './format.ts';
import type { Badge as BadgeInfo, Tone } from './log-store.ts';

export function Badge(props: { tone: Tone; children: ComponentChildren; title?: string | undefined; dot?: boolean }) {
  return (
    <span class={`badge badge-${props.tone}`} title={props.title}>
      {props.dot !== false && <span class="badge-dot" aria-hidden="true" />}
      {props.children}
    </span>
  );
}

export function StatusBadge({ badge }: { badge: BadgeInfo | null }) {
  if (!badge) return null;
  return (
    <span class="status" title={badge.title}>
      <Badge tone={badge.tone}>{badge.label}</Badge>
      {badge.detail && <span class="status-detail">{badge.detail}</span>}
    </span>
  );
}

type IconName =
  | 'chart'
  | 'sources'
  | 'live'
  | 'destinations'
  | 'key'
  | 'user'
  | 'copy'
  | 'check'
  | 'plus'
  | 'logout'
  | 'search'
  | 'retry'
  | 'back'
  | 'trash'
  | 'eye'
  | 'pause'
  | 'play'
  | 'send'
  | 'docs'
  | 'rotate'
  | 'edit'
  | 'arrow'
  | 'bell';

const ICONS: Record<IconName, JSX.Element> = {
  sources: <path d="M4 6h16M4 12h16M4 18h10" />,
  live: <path d="M3 12h4l3-8 4 16 3-8h4" />,
  destinations: (
    <>
      <path d="M5 12h12" />
      <path d="M13 6l6 6-6 6" />
    </>
  ),
  key: (
    <>
      <circle cx="8" cy="15" r="4" />
      <path d="M11 12l9-9M16 7l3 3" />
    </>
  ),
  copy: (
    <>
      <rect x="9" y="9" width="11" height="11" rx="2" />
      <path d="M5 15V5a2 2 0 0 1 2-2h8" />
    </>
  ),
  check: <path d="M5 13l4 4L19 7" />,
  plus: <path d="M12 5v14M5 12h14" />,
  logout: <path d="M15 4h3a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-3M10 17l5-5-5-5M15 12H4" />,
  user: (
    <>
      <circle cx="12" cy="8" r="4" />
      <path d="M4 20a8 8 0 0 1 16 0" />
    </>
  ),
  search: (
    <>
      <circle cx="11" cy="11" r="7" />
      <path d="M20 20l-4-4" />
    </>
  ),
  retry: <path d="M4 12a8 8 0 0 1 14-5.3L20 9M20 4v5h-5M20 12a8 8 0 0 1-14 5.3L4 15M4 20v-5h5" />,
  back: <path d="M15 18l-6-6 6-6" />,
  trash: <path d="M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3" />,
  eye: (
    <>
      <path d="M2 12s4-7 10-7 10 7 10 7-4 7-10 7S2 12 2 12z" />
      <circle cx="12" cy="12" r="3" />
    </>
  ),
  pause: <path d="M9 5v14M15 5v14" />,
  play: <path d="M7 5l12 7-12 7z" />,
  send: <path d="M4 12l16-8-6 16-2-7z" />,
  docs: <path d="M6 3h9l4 4v14H6zM14 3v5h5M9 13h7M9 17h7" />,
  rotate: <path d="M20 11a8 8 0 1 0-2.3 5.7M20 4v7h-7" />,
  edit: <path d="M4 20h4L19 9l-4-4L4 16zM13 7l4 4" />,
  arrow: <path d="M9 6l6 6-6 6" />,
  bell: <path d="M6 16V11a6 6 0 0 1 12 0v5l2 2H4zM10 21h4" />,
  chart: <path d="M4 20V4M4 20h16M8 16l4-5 3 3 5-7" />,
};

export function Icon({ name, size = 16 }: { name: IconName; size?: number }) {
  return (
    <svg
      class="icon"
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
    >
      {ICONS[name]}
    </svg>
  );
}

export function Logo() {
  return (
    <svg class="logo-mark" width="22" height="22" viewBox="0 0 32 32" aria-hidden="true">
      <rect width="32" height="32" rx="8" fill="var(--accent)" />
      <path d="M19 7v11a5 5 0 0 1-10 0v-2" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round" />
      <circle cx="19" cy="7" r="2.5" fill="#fff" />
    </svg>
  );
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Not a secure context (plain http on a LAN address): fall back to a selection copy.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'offscreen';
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

export function CopyButton({ text, label = 'Copy', compact }: { text: string; label?: string; compact?: boolean }) {
  const [done, setDone] = useState<'copied' | 'failed' | null>(null);
  useEffect(() => {
    if (!done) return;
    const t = setTimeout(() => setDone(null), 1600);
    return () => clearTimeout(t);
  }, [done]);
  const say = done === 'copied' ? 'Copied' : done === 'failed' ? 'Select and copy' : label;
  return (
    <button
      type="button"
      class={`btn ${compact ? 'btn-icon' : 'btn-sm'} ${done === 'copied' ? 'is-done' : ''}`}
      onClick={async () => setDone((await copyText(text)) ? 'copied' : 'failed')}
      title={compact ? say : undefined}
      aria-label={compact ? `${label}` : undefined}
    >
      <Icon name={done === 'copied' ? 'check' : 'copy'} size={14} />
      {!compact && <span>{say}</span>}
      {compact && (
        <span class="sr-only" aria-live="polite">
          {done ? say : ''}
        </span>
      )}
    </button>
  );
}

/** A value to copy (an ingest URL, a secret, an id): monospace, selectable, with a copy button. */
export function Copyable({ value, label, secret }: { value: string; label: string; secret?: boolean }) {
  return (
    <div class={`copyable ${secret ? 'is-secret' : ''}`}>
      <input
        class="mono copyable-input"
        readOnly
        value={value}
        aria-label={label}
        onFocus={(e) => e.currentTarget.select()}
        spellcheck={false}
      />
      <CopyButton text={value} />
    </div>
  );
}

export function ErrorBox({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  return (
    <div class="alert alert-bad" role="alert">
      <span>{errorText(error)}</span>
      {onRetry && (
        <button type="button" class="btn btn-sm" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Notice({ tone = 'info', children }: { tone?: 'info' | 'ok' | 'warn'; children: ComponentChildren }) {
  return (
    <div class={`alert alert-${tone}`}>
      <div>{children}</div>
    </div>
  );
}

export function Empty(props: { icon: IconName; title: string; children?: ComponentChildren; action?: ComponentChildren }) {
  return (
    <div class="empty">
      <div class="empty-icon">
        <Icon name={props.icon} size={22} />
      </div>
      <h2>{props.title}</h2>
      {props.children && <div class="empty-body">{props.children}</div>}
      {props.action && <div class="empty-action">{props.action}</div>}
    </div>
  );
}

/**
 * A page's list: its error (with a retry), loading, `empty` when there is nothing, else a table
 * of `columns` with a row per item and a last, unlabelled column for the row's actions.
 */
export function ListTable<T extends { id: string }>(props: {
  items: readonly T[] | null | undefined;
  error: unknown;
  onRetry: () => void;
  empty: ComponentChildren;
  tableClass?: string;
  actionsClass?: string;
  columns: ComponentChildren;
  row: (item: T) => ComponentChildren;
}) {
  const { items, error } = props;
  return (
    <>
      <ErrorBox error={error} onRetry={props.onRetry} />
      {!items && !error && <Loading />}
      {items && items.length === 0 && props.empty}
      {items && items.length > 0 && (
        <div class="table-wrap">
          <table class={props.tableClass ? `table ${props.tableClass}` : 'table'}>
            <thead>
              <tr>
                {props.columns}
                <th class={props.actionsClass}>
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.id}>{props.row(item)}</tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div class="loading" role="status">
      <span class="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function PageHeader(props: { title: ComponentChildren; subtitle?: ComponentChildren; actions?: ComponentChildren; back?: string }) {
  return (
    <header class="page-header">
      <div class="page-title">
        {props.back && (
          <a class="back" href={props.back}>
            <Icon name="back" size={14} /> Back
          </a>
        )}
        <h1>{props.title}</h1>
        {props.subtitle && <p class="subtitle">{props.subtitle}</p>}
      </div>
      {props.actions && <div class="page-actions">{props.actions}</div>}
    </header>
  );
}

export function Field(props: { label: string; hint?: ComponentChildren; children: ComponentChildren; id?: string }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint && <div class="hint">{props.hint}</div>}
    </div>
  );
}

// ── Confirmation dialog ────────────────────────────────────────────────────────────────

export interface ConfirmOptions {
  title: string;
  body: ComponentChildren;
  confirm: string;
  danger?: boolean;
}

/** A native <dialog>: focus moves into it, Escape cancels, focus returns afterwards. */
export function useConfirm(): [JSX.Element | null, (options: ConfirmOptions) => Promise<boolean>] {
  const [open, setOpen] = useState<(ConfirmOptions & { resolve: (ok: boolean) => void }) | null>(null);
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    if (open && ref.current && !ref.current.open) ref.current.showModal();
  }, [open]);
  const close = (ok: boolean) => {
    open?.resolve(ok);
    ref.current?.close();
    setOpen(null);
  };
  const element = open ? (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby="confirm-title"
      onCancel={(e) => {
        e.preventDefault();
        close(false);
      }}
    >
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          close(true);
        }}
      >
        <h2 id="confirm-title">{open.title}</h2>
        <div class="dialog-body">{open.body}</div>
        <div class="dialog-actions">
          <button type="button" class="btn" onClick={() => close(false)}>
            Cancel
          </button>
          <button type="submit" class={`btn ${open.danger ? 'btn-danger' : 'btn-primary'}`} autofocus>
            {open.confirm}
          </button>
        </div>
      </form>
    </dialog>
  ) : null;
  return [element, (options) => new Promise<boolean>((resolve) => setOpen({ ...options, resolve }))];
}

export function Modal(props: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    if (ref.current && !ref.current.open) ref.current.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      class={`dialog ${props.wide ? 'dialog-wide' : ''}`}
      aria-label={props.title}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <div class="dialog-head">
        <h2>{props.title}</h2>
        <button type="button" class="btn btn-icon" onClick={props.onClose} aria-label="Close">
          ✕
        </button>
      </div>
      <div class="dialog-body">{props.children}</div>
    </dialog>
  );
}

// ── Toasts ─────────────────────────────────────────────────────────────────────────────

interface ToastItem {
  id: number;
  text: ComponentChildren;
  tone: 'ok' | 'bad' | 'info';
}
let toasts: ToastItem[] = [];
let nextToast = 1;
const toastListeners = new Set<() => void>();

export function toast(text: ComponentChildren, tone: ToastItem['tone'] = 'ok') {
  const id = nextToast++;
  toasts = [...toasts, { id, text, tone }];
  for (const l of toastListeners) l();
  setTimeout(() => {
    toasts = toasts.filter((t) => t.id !== id);
    for (const l of toastListeners) l();
  }, 5000);
}

export function Toasts() {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((n) => n + 1);
    toastListeners.add(l);
    return () => toastListeners.delete(l);
  }, []);
  return (
    <div class="toasts" aria-live="polite" role="status">
      {toasts.map((t) => (
        <div key={t.id} class={`toast toast-${t.tone}`}>
          {t.text}
        </div>
      ))}
    </div>
  );
}

// ── JSON ───────────────────────────────────────────────────────────────────────────────

const TOKEN = /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;
const HIGHLIGHT_LIMIT = 200_000;

/** Syntax-coloured JSON (as text nodes: nothing from a payload ever becomes markup). */
export function Code({ text, json }: { text: string; json?: boolean }) {
  if (!json || text.length > HIGHLIGHT_LIMIT) {
    return (
      <pre class="code">
        <code>{text}</code>
      </pre>
    );
  }
  const parts: (string | JSX.Element)[] = [];
  let last = 0;
  let i = 0;
  for (const m of text.matchAll(TOKEN)) {
    const at = m.index ?? 0;
    if (at > last) parts.push(text.slice(last, at));
    const cls = m[1] ? (m[2] ? 'j-key' : 'j-str') : m[3] ? 'j-lit' : 'j-num';
    parts.push(
      <span key={i++} class={cls}>
        {m[1] ?? m[0]}
      </span>,
    );
    if (m[2]) parts.push(m[2]);
    last = at + m[0].length;
  }
  parts.push(text.slice(last));
  return (
    <pre class="code">
      <code>{parts}</code>
    </pre>
  );
}

export function JsonBlock({ value }: { value: unknown }) {
  return <Code text={JSON.stringify(value, null, 2) ?? 'null'} json />;
}

/** A body shown pretty (indented, coloured) or raw (byte for byte as received). */
export function BodyView({ body, encoding }: { body: string | null; encoding: 'utf8' | 'base64' }) {
  const pretty = body !== null && encoding === 'utf8' ? prettyJson(body) : null;
  const [mode, setMode] = useState<'pretty' | 'raw'>(pretty ? 'pretty' : 'raw');
  if (body === null) return <p class="muted">No body.</p>;
  return (
    <div class="body-view">
      <div class="body-toolbar">
        <fieldset class="segmented">
          <legend class="sr-only">Body view</legend>
          <button type="button" aria-pressed={mode === 'pretty'} disabled={!pretty} onClick={() => setMode('pretty')}>
            Pretty
          </button>
          <button type="button" aria-pressed={mode === 'raw'} onClick={() => setMode('raw')}>
            Raw
          </button>
        </fieldset>
        {encoding === 'base64' && <span class="muted">Not UTF-8: shown as base64</span>}
        <span class="spacer" />
        <CopyButton text={body} label="Copy body" />
      </div>
      {mode === 'pretty' && pretty ? <Code text={pretty} json /> : <Code text={body} />}
    </div>
  );
}

/** Re-renders every `ms` so relative times ("2 min ago") stay true. */
export function useNow(ms = 15_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
