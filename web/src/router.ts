import { useEffect, useState } from 'preact/hooks';

/**
 * The app's location lives in the URL hash (`#/events/evt_…?source=src_…`), so the bundle
 * works from any static host and every view has a link that survives a reload.
 */
export interface Route {
  path: string[];
  query: URLSearchParams;
}

export function parseHash(hash = location.hash): Route {
  const raw = hash.replace(/^#/, '') || '/sources';
  const [path = '', query = ''] = raw.split('?');
  return { path: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

export function href(path: string, query: Record<string, string | undefined | null> = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) search.set(key, value);
  const qs = search.toString();
  return `#${path}${qs ? `?${qs}` : ''}`;
}

export function navigate(target: string, options: { replace?: boolean } = {}) {
  const hash = target.startsWith('#') ? target : `#${target}`;
  if (options.replace) {
    history.replaceState(history.state, '', hash);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    location.hash = hash;
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const onChange = () => setRoute(parseHash());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
