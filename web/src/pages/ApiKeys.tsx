import { useEffect, useState } from 'preact/hooks';
import { type ApiKey, api } from '../api.ts';
import { Copyable, Empty, Field, Icon, ListTable, Notice, PageHeader, toast, useConfirm, useNow } from '../components.tsx';
import { dateTime, relative } from '../format.ts';
import { useSubmit } from '../submit.ts';

export function ApiKeysPage() {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const { submit, busy, error, setError } = useSubmit(async () => {
    const result = await api.post('/v1/api-keys', { body: { name: name.trim() } });
    setCreated({ name: result.name, key: result.key });
    setName('');
    await load();
  });
  const [confirmEl, confirm] = useConfirm();
  const now = useNow();

  const load = async () => {
    try {
      setKeys((await api.get('/v1/api-keys')).data);
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    void load();
  }, []);

  const revoke = async (key: ApiKey) => {
    const ok = await confirm({
      title: `Revoke "${key.name}"?`,
      body: <p>Scripts and services using this key get 401 from now on. This cannot be undone.</p>,
      confirm: 'Revoke key',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.del('/v1/api-keys/{id}', { path: { id: key.id } });
      toast(`Revoked "${key.name}".`);
      await load();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <>
      {confirmEl}
      <PageHeader title="API keys" subtitle="For scripts, CI and the hookline CLI: send Authorization: Bearer <key> to /v1." />
      <form class="card form inline-form" onSubmit={submit}>
        <Field label="New key" id="key-name" hint="A name that says where it is used, e.g. deploy pipeline.">
          <div class="input-row">
            <input
              id="key-name"
              required
              maxLength={200}
              value={name}
              placeholder="e.g. CI"
              onInput={(e) => setName(e.currentTarget.value)}
            />
            <button type="submit" class="btn btn-primary" disabled={busy || !name.trim()}>
              <Icon name="plus" /> Create key
            </button>
          </div>
        </Field>
      </form>
      {created && (
        <Notice tone="ok">
          <strong>Key "{created.name}" created.</strong> Copy it now: Hookline keeps only a hash and will not show it again.
          <Copyable value={created.key} label="New API key" secret />
          <pre class="code small">
            <code>{`curl -H "Authorization: Bearer ${created.key.slice(0, 10)}…" ${location.origin}/v1/events`}</code>
          </pre>
        </Notice>
      )}
      <ListTable
        items={keys}
        error={error}
        onRetry={load}
        empty={
          <Empty icon="key" title="No API keys">
            <p>The web UI does not need one. Create a key to call the API from a script, CI, or the hookline CLI.</p>
          </Empty>
        }
        columns={
          <>
            <th>Name</th>
            <th>Key</th>
            <th class="hide-sm">Created</th>
            <th>Last used</th>
          </>
        }
        row={(k) => (
          <>
            <td>{k.name}</td>
            <td>
              <code>{k.prefix}…</code>
            </td>
            <td class="hide-sm" title={dateTime(k.created_at)}>
              {relative(k.created_at, now, { past: true })}
            </td>
            <td title={dateTime(k.last_used_at)}>
              {k.last_used_at ? relative(k.last_used_at, now, { past: true }) : <span class="muted">never</span>}
            </td>
            <td class="row-actions">
              <button type="button" class="btn btn-sm btn-ghost danger-text" onClick={() => revoke(k)}>
                Revoke
              </button>
            </td>
          </>
        )}
      />
    </>
  );
}
