// The console's entry: the session (signed in or not), the shell (navigation,
// sign out) and the routes. Scopes decide what is shown: a read-only key sees
// no write controls (and the API would refuse them anyway).
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { html } from './lib/html.js';
import { api, setCsrfToken, whenSignedOut } from './lib/api.js';
import { interceptLinks, match, navigate, useLocation } from './lib/router.js';
import { ErrorNote, Loading, NotFound, useAction } from './lib/ui.js';
import { DirectoriesPage } from './pages/directories.js';
import { UsersPage } from './pages/users.js';
import { UserPage } from './pages/user.js';
import { KeysPage } from './pages/keys.js';
import { MailPage } from './pages/mail.js';
import { JobsPage } from './pages/jobs.js';
import { JobPage } from './pages/job.js';
import { ImportWizard } from './pages/importWizard.js';
import { WebhooksPage } from './pages/webhooks.js';

/** What a session may do, from its key's scopes. */
function permissionsOf(scopes) {
  const admin = scopes.includes('admin');
  return { admin, write: admin || scopes.includes('users:write'), read: admin || scopes.includes('users:read') || scopes.includes('users:write') };
}

function SignIn({ onSignedIn, notice }) {
  const [key, setKey] = useState('');
  const { busy, error, onSubmit } = useAction();
  const submit = onSubmit(async () => {
    const session = await api('POST', '/console/session', { body: { key: key.trim() }, quiet: true });
    setKey('');
    onSignedIn(session);
  });
  return html`<main id="main" class="sign-in">
    <h1>muster console</h1>
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    <form onSubmit=${submit} aria-describedby="key-help">
      <div class="field">
        <label for="api-key">API key</label>
        <input id="api-key" name="key" type="password" autocomplete="off" required value=${key} onInput=${(e) => setKey(e.currentTarget.value)}
          aria-invalid=${error ? 'true' : undefined} aria-describedby=${error ? 'key-error' : 'key-help'} />
        <small id="key-help" class="muted">The key is exchanged for a session cookie and is not kept in this browser.</small>
        <${ErrorNote} error=${error} id="key-error" />
      </div>
      <button type="submit" class="primary" disabled=${busy}>Sign in</button>
    </form>
  </main>`;
}

const NAV = [
  ['/console/directories', 'Directories', 'read'],
  ['/console/imports', 'Imports', 'read'],
  ['/console/keys', 'API keys', 'admin'],
  ['/console/mail', 'Mail', 'admin'],
  ['/console/webhooks', 'Webhooks', 'admin'],
];

function Shell({ session, path, onSignOut, children }) {
  const can = permissionsOf(session.scopes);
  return html`<a class="skip" href="#main">Skip to content</a>
    <header class="top">
      <a class="brand" href="/console/directories">muster</a>
      <nav aria-label="Main">
        <ul>
          ${NAV.filter(([, , need]) => can[need]).map(
            ([href, label]) => html`<li><a href=${href} aria-current=${path.startsWith(href) ? 'page' : undefined}>${label}</a></li>`,
          )}
        </ul>
      </nav>
      <div class="who">
        <span title="The key this session signed in with">${session.keyPrefix}… <span class="muted">(${session.scopes.join(', ')})</span></span>
        <button onClick=${onSignOut}>Sign out</button>
      </div>
    </header>
    <main id="main" tabindex="-1">${children}</main>`;
}

const ROUTES = [
  ['/console/directories', () => DirectoriesPage],
  ['/console/directories/:directory/users', () => UsersPage],
  ['/console/directories/:directory/users/:userId', () => UserPage],
  ['/console/directories/:directory/import', () => ImportWizard],
  ['/console/imports', () => JobsPage],
  ['/console/imports/:jobId', () => JobPage],
  ['/console/keys', () => KeysPage],
  ['/console/mail', () => MailPage],
  ['/console/webhooks', () => WebhooksPage],
];

function route(path) {
  for (const [pattern, page] of ROUTES) {
    const params = match(pattern, path);
    if (params) return { Page: page(), params };
  }
  return null;
}

function App() {
  const path = useLocation();
  const [session, setSession] = useState(undefined);
  const [notice, setNotice] = useState(null);

  useEffect(() => {
    whenSignedOut((error) => {
      setCsrfToken(null);
      setSession(null);
      setNotice(error.code === 'auth.session_expired' ? 'Your session has expired. Sign in again.' : 'You are signed out. Sign in again.');
    });
    api('GET', '/console/session', { quiet: true }).then(
      (s) => {
        setCsrfToken(s.csrfToken);
        setSession(s);
      },
      () => setSession(null),
    );
  }, []);

  useEffect(() => {
    const title = document.querySelector('main h1');
    document.title = title ? `${title.textContent} · muster console` : 'muster console';
  });

  if (session === undefined) return html`<${Loading} what="Opening the console" />`;
  if (session === null) {
    return html`<${SignIn}
      notice=${notice}
      onSignedIn=${(s) => {
        setCsrfToken(s.csrfToken);
        setSession(s);
        setNotice(null);
        if (!route(path)) navigate('/console/directories', { replace: true });
      }}
    />`;
  }
  const signOut = async () => {
    try {
      await api('DELETE', '/console/session', { quiet: true });
    } finally {
      setCsrfToken(null);
      setSession(null);
      setNotice('Signed out.');
    }
  };
  const found = route(path);
  if (!found && /^\/console\/?$/.test(path.split('?')[0])) {
    navigate('/console/directories', { replace: true });
    return null;
  }
  const can = permissionsOf(session.scopes);
  return html`<${Shell} session=${session} path=${path} onSignOut=${signOut}>
    ${found ? html`<${found.Page} key=${path.split('?')[0]} params=${found.params} path=${path} can=${can} />` : html`<${NotFound} />`}
  </${Shell}>`;
}

interceptLinks();
render(html`<${App} />`, document.getElementById('app'));
