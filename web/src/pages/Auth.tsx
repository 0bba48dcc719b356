import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.ts';
import { ErrorBox, Field, Logo } from '../components.tsx';
import { saveMe } from '../data.ts';
import { parseHash } from '../router.ts';
import { useSubmit } from '../submit.ts';
import { PASSWORD_HINT } from './Account.tsx';

/** The API key signup creates, shown once on the next page. */
export const FIRST_KEY = 'hookline.first-key';

export function AuthPage(props: { mode: 'login' | 'signup'; expired: boolean; onDone: () => void }) {
  const signup = props.mode === 'signup';
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  // An invite link (POST /v1/invites) opens #/signup?invite=…; while signup is closed it is the way in.
  const invite = signup ? (parseHash().query.get('invite') ?? undefined) : undefined;
  const { submit, busy, error } = useSubmit(async () => {
    if (signup) {
      const created = await api.post('/v1/signup', { body: { email, password, name, invite }, quiet401: true });
      sessionStorage.setItem(FIRST_KEY, created.api_key);
    }
    const session = await api.post('/v1/sessions', { body: { email, password }, quiet401: true });
    saveMe({ email: session.user.email, tenant: session.tenant.name });
    props.onDone();
  });
  // The API says so: HOOKLINE_SIGNUP=closed and no (usable) invite.
  const closed = signup && error instanceof ApiError && error.code === 'signup_closed';

  return (
    <main class="auth" id="main">
      <div class="auth-card">
        <div class="auth-brand">
          <Logo />
          <span>Hookline</span>
        </div>
        <h1>{signup ? 'Create your workspace' : 'Log in'}</h1>
        <p class="subtitle">
          {signup
            ? 'Verify, log and relay webhooks from Mux, FastPix, Stripe and more. Takes a minute.'
            : 'Welcome back. Your webhooks kept arriving while you were away.'}
        </p>
        {props.expired && !error && <div class="alert alert-info">Your session ended. Log in again to continue.</div>}
        {signup && invite && !error && <div class="alert alert-info">You were invited: create your workspace below.</div>}
        {closed ? (
          <div class="alert alert-info" role="alert">
            Signup is closed on this instance. Ask someone who has a workspace here for an invite link, or <a href="#/login">log in</a>.
          </div>
        ) : (
          <ErrorBox error={error} />
        )}
        <form onSubmit={submit} class="form">
          {signup && (
            <Field label="Workspace name" id="name" hint="Your team or company; you can have several sources in it.">
              <input
                id="name"
                required
                maxLength={200}
                value={name}
                onInput={(e) => setName(e.currentTarget.value)}
                autoComplete="organization"
              />
            </Field>
          )}
          <Field label="Email" id="email">
            <input id="email" type="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} autoComplete="email" />
          </Field>
          <Field label="Password" id="password" hint={signup ? PASSWORD_HINT : undefined}>
            <input
              id="password"
              type="password"
              required
              minLength={signup ? 10 : undefined}
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
              autoComplete={signup ? 'new-password' : 'current-password'}
            />
          </Field>
          <button type="submit" class="btn btn-primary btn-block" disabled={busy}>
            {busy ? (signup ? 'Creating…' : 'Logging in…') : signup ? 'Create workspace' : 'Log in'}
          </button>
        </form>
        <p class="auth-switch">
          {signup ? (
            <>
              Already have an account? <a href="#/login">Log in</a>
            </>
          ) : (
            <>
              New here? <a href="#/signup">Create a workspace</a>
            </>
          )}
        </p>
      </div>
    </main>
  );
}
