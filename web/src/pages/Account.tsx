import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ErrorBox, Field, Notice, PageHeader } from '../components.tsx';
import { loadMe } from '../data.ts';
import { useSubmit } from '../submit.ts';

/** What the API's password policy asks for, in a line (signup and password change). */
export const PASSWORD_HINT = 'At least 10 characters, and not a common or easily guessed one: a few unrelated words work well.';

export function AccountPage() {
  const me = loadMe();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [done, setDone] = useState<number | null>(null);
  const mismatch = repeat !== '' && repeat !== next;
  const { submit, busy, error } = useSubmit(async () => {
    const result = await api.post('/v1/password', { body: { current_password: current, new_password: next } });
    setDone(result.other_sessions_ended);
    setCurrent('');
    setNext('');
    setRepeat('');
  });

  return (
    <>
      <PageHeader title="Account" subtitle={me ? `${me.email} · ${me.tenant}` : undefined} />
      <form
        class="card form form-wide"
        onSubmit={(e) => {
          setDone(null);
          if (!mismatch) return submit(e);
          e.preventDefault();
        }}
        aria-labelledby="password-title"
      >
        <h2 id="password-title" class="card-title">
          Change password
        </h2>
        <p class="small muted">Changing it logs you out everywhere else. API keys keep working: revoke them on the API keys page.</p>
        <Field label="Current password" id="current-password">
          <input
            id="current-password"
            type="password"
            required
            maxLength={200}
            value={current}
            onInput={(e) => setCurrent(e.currentTarget.value)}
            autoComplete="current-password"
          />
        </Field>
        <Field label="New password" id="new-password" hint={PASSWORD_HINT}>
          <input
            id="new-password"
            type="password"
            required
            minLength={10}
            maxLength={200}
            value={next}
            onInput={(e) => setNext(e.currentTarget.value)}
            autoComplete="new-password"
          />
        </Field>
        <Field label="New password again" id="repeat-password" hint={mismatch ? 'Does not match the new password.' : undefined}>
          <input
            id="repeat-password"
            type="password"
            required
            maxLength={200}
            value={repeat}
            aria-invalid={mismatch}
            onInput={(e) => setRepeat(e.currentTarget.value)}
            autoComplete="new-password"
          />
        </Field>
        <ErrorBox error={error} />
        {done !== null && (
          <Notice tone="ok">
            Password changed.{' '}
            {done === 0 ? 'No other session was open.' : `${done} other session${done === 1 ? ' was' : 's were'} logged out.`}
          </Notice>
        )}
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled={busy || mismatch}>
            {busy ? 'Changing…' : 'Change password'}
          </button>
        </div>
      </form>
    </>
  );
}
