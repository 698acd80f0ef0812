// Client-side routes under /console with the History API: every path is a real
// URL the service answers with the same page, so links, reloads and the back
// button work. Links are plain <a href>; clicks on /console links are routed here.
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set();

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  for (const listener of listeners) listener(location.pathname + location.search);
}

export function useLocation() {
  const [path, setPath] = useState(location.pathname + location.search);
  useEffect(() => {
    const update = () => setPath(location.pathname + location.search);
    listeners.add(setPath);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(setPath);
      removeEventListener('popstate', update);
    };
  }, []);
  return path;
}

/** Routes plain left clicks on same-origin /console links without a reload. */
export function interceptLinks() {
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target.closest && event.target.closest('a[href]');
    if (!link || link.target || link.hasAttribute('download')) return;
    const url = new URL(link.href);
    if (url.origin !== location.origin || !url.pathname.startsWith('/console')) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
}

/** Matches `pattern` ('/console/directories/:dir/users') against a path; returns the decoded params or null. */
export function match(pattern, path) {
  const [pathname] = path.split('?');
  const want = pattern.split('/');
  const have = pathname.replace(/\/+$/, '').split('/');
  if (want.length !== have.length) return null;
  const params = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) {
      try {
        params[want[i].slice(1)] = decodeURIComponent(have[i]);
      } catch {
        return null;
      }
    } else if (want[i] !== have[i]) return null;
  }
  return params;
}

export function searchParams(path) {
  return new URLSearchParams(path.split('?')[1] || '');
}
