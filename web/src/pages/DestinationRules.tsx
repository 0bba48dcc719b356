import { useState } from 'preact/hooks';
import { api, type Destination, type Ok } from '../api.ts';
import { Badge, ErrorBox, Field, Icon, toast } from '../components.tsx';
import { destinations } from '../data.ts';
import { href } from '../router.ts';

type Tried = Ok<'/v1/rules/try', 'post'>['data'][number];

const FILTER_EXAMPLE = '{"type": "video.asset.ready", "data": {"status": "ready", "passthrough": {"$startsWith": "customer-"}}}';
const TRANSFORM_EXAMPLE = `function transform(event, context) {
  // return the body to send, {body, headers}, or null to skip the event
  return { asset: event.object.id, status: event.data.status };
}`;

/** The filter text as a document, or an error message for the textarea. */
function parseFilter(text: string): { filter: Record<string, unknown> | null } | { error: string } {
  if (!text.trim()) return { filter: null };
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { error: 'The filter must be a JSON object.' };
    return { filter: value as Record<string, unknown> };
  } catch (err) {
    return { error: `The filter is not JSON: ${(err as Error).message}` };
  }
}

/**
 * A destination's routing rules (CONTRACT §8): edit the payload filter and the transform, try
 * them on the source's recent events (nothing is sent), and replay exactly the events that
 * match to this destination in one action (the rules are saved first, so the replay is sent
 * as tried).
 */
export function RulesPanel({ destination }: { destination: Destination }) {
  const [filterText, setFilterText] = useState(destination.filter ? JSON.stringify(destination.filter, null, 2) : '');
  const [transform, setTransform] = useState(destination.transform ?? '');
  const [tried, setTried] = useState<Tried[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const parsed = parseFilter(filterText);
  const matched = tried?.filter((t) => t.matched) ?? [];

  const act = async (name: string, fn: () => Promise<void>) => {
    setBusy(name);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  const rules = () => {
    if ('error' in parsed) throw new Error(parsed.error);
    return { filter: parsed.filter, transform: transform.trim() ? transform : null };
  };
  const save = async () => {
    await api.patch('/v1/destinations/{id}', { path: { id: destination.id }, body: rules() });
    await destinations.load();
  };

  return (
    <section class="rules" data-testid="rules-panel">
      <Field
        label="Payload filter"
        id={`filter-${destination.id}`}
        hint="JSON over the normalized event and its request headers. Operators: $eq $neq $in $nin $gt $gte $lt $lte $exist $startsWith $contains $or $and $not. Empty: every event."
      >
        <textarea
          id={`filter-${destination.id}`}
          class="mono"
          rows={4}
          placeholder={FILTER_EXAMPLE}
          value={filterText}
          onInput={(e) => setFilterText(e.currentTarget.value)}
        />
      </Field>
      {'error' in parsed && <p class="small danger-text">{parsed.error}</p>}
      <Field
        label="Transform"
        id={`transform-${destination.id}`}
        hint="JavaScript run in a sandbox (no network, no files, limited time and memory) before each attempt. Empty: send the event as is."
      >
        <textarea
          id={`transform-${destination.id}`}
          class="mono"
          rows={6}
          placeholder={TRANSFORM_EXAMPLE}
          value={transform}
          onInput={(e) => setTransform(e.currentTarget.value)}
        />
      </Field>
      <div class="form-actions">
        <button
          type="button"
          class="btn"
          disabled={busy !== null}
          onClick={() =>
            act('try', async () => {
              const result = await api.post('/v1/rules/try', {
                body: { source_id: destination.source_id, destination_id: destination.id, limit: 20, ...rules() },
              });
              setTried(result.data);
            })
          }
        >
          <Icon name="play" size={14} /> {busy === 'try' ? 'Trying…' : 'Try on recent events'}
        </button>
        <button
          type="button"
          class="btn btn-primary"
          disabled={busy !== null}
          onClick={() =>
            act('save', async () => {
              await save();
              toast('Rules saved: new events and the next attempts follow them.');
            })
          }
        >
          Save rules
        </button>
      </div>
      <ErrorBox error={error} />
      {tried && (
        <div class="rules-tried" data-testid="rules-tried">
          <p class="small muted">
            {matched.length} of {tried.length} recent events would be sent.
          </p>
          <ul class="tried-list">
            {tried.map((t) => (
              <li key={t.event_id} data-event={t.event_id}>
                <a href={href(`/events/${t.event_id}`)}>
                  <code>{t.event_id}</code>
                </a>{' '}
                {t.matched ? (
                  <Badge tone="ok">matched</Badge>
                ) : t.error ? (
                  <Badge tone="bad">error</Badge>
                ) : (
                  <Badge tone="muted">skipped by {t.skipped_by}</Badge>
                )}
                {t.error && <div class="attempt-error">{t.error}</div>}
                {t.output && (
                  <details>
                    <summary>What would be sent</summary>
                    <pre class="code small">
                      <code>{JSON.stringify(t.output, null, 2)}</code>
                    </pre>
                  </details>
                )}
              </li>
            ))}
          </ul>
          {matched.length > 0 && (
            <button
              type="button"
              class="btn"
              disabled={busy !== null}
              data-testid="replay-matched"
              onClick={() =>
                act('replay', async () => {
                  await save();
                  const result = await replayTo(
                    destination.id,
                    matched.map((t) => t.event_id),
                  );
                  toast(`Saved the rules and replaying ${result} ${result === 1 ? 'event' : 'events'} to this destination.`);
                })
              }
            >
              <Icon name="send" size={14} />{' '}
              {busy === 'replay' ? 'Replaying…' : `Replay exactly these ${matched.length} to this destination`}
            </button>
          )}
        </div>
      )}
    </section>
  );
}

/** Redelivers exactly these events to one destination; answers how many. */
async function replayTo(destinationId: string, eventIds: string[]): Promise<number> {
  const result = await api.post('/v1/rules/replay', { body: { destination_id: destinationId, event_ids: eventIds } });
  return result?.count ?? 0;
}
