import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, errorText, setUnauthorizedHandler } from './api.ts';
import { Icon, Loading, Logo, Toasts } from './components.tsx';
import { loadMe, resetAll, saveMe } from './data.ts';
import type { RowStatus } from './log-store.ts';
import { AccountPage } from './pages/Account.tsx';
import { ALERTS_CHANGED, AlertsPage } from './pages/Alerts.tsx';
import { ApiKeysPage } from './pages/ApiKeys.tsx';
import { AuthPage } from './pages/Auth.tsx';
import { DeadLettersPage } from './pages/DeadLetters.tsx';
import { DestinationNewPage, DestinationsPage } from './pages/Destinations.tsx';
import { EventDetailPage } from './pages/EventDetail.tsx';
import { LiveLogPage } from './pages/LiveLog.tsx';
import { OverviewPage } from './pages/Overview.tsx';
import { SourceDetailPage } from './pages/SourceDetail.tsx';
import { SourceNewPage } from './pages/SourceNew.tsx';
import { SourcesPage } from './pages/Sources.tsx';
import { navigate, type Route, useRoute } from './router.ts';

type Auth = 'checking' | 'in' | 'out' | { error: unknown };

const NAV = [
  { path: 'overview', label: 'Overview', icon: 'chart' },
  { path: 'sources', label: 'Sources', icon: 'sources' },
  { path: 'logs', label: 'Live log', icon: 'live' },
  { path: 'destinations', label: 'Destinations', icon: 'destinations' },
  { path: 'alerts', label: 'Alerts', icon: 'bell' },
  { path: 'dead-letters', label: 'Dead letters', icon: 'retry' },
  { path: 'api-keys', label: 'API keys', icon: 'key' },
  { path: 'account', label: 'Account', icon: 'user' },
] as const;

function section(route: Route): string {
  const first = route.path[0] ?? 'sources';
  return first === 'events' ? 'logs' : first;
}

/** Open (unacknowledged) alerts, for the navigation: polled, and re-read when the Alerts page changes them. */
function useOpenAlerts(): string | null {
  const [count, setCount] = useState<string | null>(null);
  useEffect(() => {
    const read = () =>
      api.get('/v1/alerts', { query: { status: 'open', limit: 100 } }).then(
        (page) => setCount(page.data.length === 0 ? null : page.next_cursor ? '99+' : String(page.data.length)),
        () => {},
      );
    void read();
    const timer = setInterval(read, 30_000);
    window.addEventListener(ALERTS_CHANGED, read);
    return () => {
      clearInterval(timer);
      window.removeEventListener(ALERTS_CHANGED, read);
    };
  }, []);
  return count;
}

function Shell({ route, onLogout, children }: { route: Route; onLogout: () => void; children: ComponentChildren }) {
  const me = loadMe();
  const current = section(route);
  const openAlerts = useOpenAlerts();
  return (
    <div class="shell">
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <aside class="sidebar">
        <a class="brand" href="#/sources" aria-label="Hookline home">
          <Logo />
          <span>Hookline</span>
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.map((item) => (
              <li key={item.path}>
                <a
                  href={`#/${item.path}`}
                  class={current === item.path ? 'is-active' : ''}
                  aria-current={current === item.path ? 'page' : undefined}
                >
                  <Icon name={item.icon} />
                  <span>{item.label}</span>
                  {item.path === 'alerts' && openAlerts && (
                    <span class="nav-count" role="status" aria-label={`${openAlerts} open alerts`}>
                      {openAlerts}
                    </span>
                  )}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="sidebar-foot">
          <a class="side-link" href="/openapi.json" target="_blank" rel="noreferrer">
            <Icon name="docs" />
            <span>API reference</span>
          </a>
          {me && (
            <div class="me" title={me.email}>
              <span class="me-tenant">{me.tenant}</span>
              <span class="me-email">{me.email}</span>
            </div>
          )}
          <button type="button" class="side-link" onClick={onLogout}>
            <Icon name="logout" />
            <span>Log out</span>
          </button>
        </div>
      </aside>
      <main class={`main ${current === 'logs' && !route.path[1] ? 'main-full' : ''}`} id="main" tabIndex={-1}>
        {children}
      </main>
      <Toasts />
    </div>
  );
}

function Page({ route }: { route: Route }) {
  const [first = 'sources', second, third] = route.path;
  const q = route.query;
  switch (first) {
    case 'sources':
      if (second === 'new') return <SourceNewPage initialProvider={q.get('provider')} />;
      if (second) return <SourceDetailPage id={second} setup={q.get('setup') === '1'} />;
      return <SourcesPage />;
    case 'logs':
      return (
        <LiveLogPage
          params={{
            source: q.get('source') ?? '',
            type: q.get('type') ?? '',
            status: (q.get('status') ?? '') as RowStatus | '',
            q: q.get('q') ?? '',
            range: q.get('range') ?? '',
          }}
        />
      );
    case 'events':
      return second ? <EventDetailPage id={second} /> : <LiveLogPage params={{ source: '', type: '', status: '', q: '', range: '' }} />;
    case 'destinations':
      if (second === 'new') return <DestinationNewPage initialSource={q.get('source') ?? ''} />;
      return <DestinationsPage sourceFilter={q.get('source') ?? third ?? ''} />;
    case 'alerts':
      return <AlertsPage />;
    case 'dead-letters':
      return <DeadLettersPage />;
    case 'overview':
      return <OverviewPage range={q.get('range')} />;
    case 'api-keys':
      return <ApiKeysPage />;
    case 'account':
      return <AccountPage />;
    default:
      return (
        <div class="empty">
          <h2>Nothing here</h2>
          <p>
            <a href="#/sources">Go to your sources</a>
          </p>
        </div>
      );
  }
}

export function App() {
  const route = useRoute();
  const [auth, setAuth] = useState<Auth>('checking');
  const [expired, setExpired] = useState(false);

  const check = () => {
    setAuth('checking');
    api.get('/v1/sources', { query: { limit: 1 }, quiet401: true }).then(
      () => setAuth('in'),
      (err) => setAuth(err instanceof ApiError && err.status === 401 ? 'out' : { error: err }),
    );
  };
  useEffect(() => {
    setUnauthorizedHandler(() => {
      resetAll();
      setExpired(true);
      setAuth('out');
    });
    check();
  }, []);

  // Title per page, for tabs and history.
  useEffect(() => {
    const name = section(route);
    const label = NAV.find((n) => n.path === name)?.label;
    document.title = auth === 'in' && label ? `${label} · Hookline` : 'Hookline';
  }, [route, auth]);

  if (auth === 'checking') return <Loading label="Starting…" />;
  if (typeof auth === 'object') {
    return (
      <main class="auth" id="main">
        <div class="auth-card">
          <h1>Cannot reach Hookline</h1>
          <p>{errorText(auth.error)}</p>
          <button type="button" class="btn btn-primary" onClick={check}>
            Try again
          </button>
        </div>
      </main>
    );
  }
  if (auth === 'out') {
    const mode = route.path[0] === 'signup' || (route.path[0] !== 'login' && !loadMe() && !expired) ? 'signup' : 'login';
    return (
      <AuthPage
        mode={mode}
        expired={expired}
        onDone={() => {
          resetAll();
          setExpired(false);
          setAuth('in');
          if (route.path[0] === 'login' || route.path[0] === 'signup') navigate('#/sources', { replace: true });
        }}
      />
    );
  }
  if (route.path[0] === 'login' || route.path[0] === 'signup') {
    navigate('#/sources', { replace: true });
    return null;
  }
  return (
    <Shell
      route={route}
      onLogout={async () => {
        try {
          await api.del('/v1/sessions/current');
        } catch {
          // Logged out either way: the cookie is what matters, and the server clears it.
        }
        saveMe(null);
        resetAll();
        setExpired(false);
        setAuth('out');
        navigate('#/login', { replace: true });
      }}
    >
      <Page key={route.path.slice(0, 2).join('/')} route={route} />
    </Shell>
  );
}
